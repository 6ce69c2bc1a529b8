import Foundation

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

extension Activation {
    /// Applies the function to every element of `x` in place (the forward-only path).
    public func apply(_ x: Matrix) { apply(x.base, count: x.count) }

    /// The activation of `n` scalars from `p`, in place.
    public func apply(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .identity: break
        case .relu: for i in 0..<n { p[i] = max(p[i], 0) }
        case .gelu: for i in 0..<n { p[i] = 0.5 * p[i] * (1 + erf(p[i] * Float(0.5).squareRoot())) }
        case .tanh: for i in 0..<n { p[i] = Foundation.tanh(p[i]) }
        case .sigmoid: Kernels.sigmoid(p, p, count: n)
        }
    }
}
