/// Activation functions a layer can apply.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case identity, relu, gelu, tanh, sigmoid

    public func callAsFunction(_ x: Node) -> Node {
        switch self {
        case .identity: x
        case .relu: x.relu()
        case .gelu: x.gelu()
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        }
    }
}
