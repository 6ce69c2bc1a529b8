/// Layer normalisation over the last axis with a learned scale and shift.
public struct LayerNorm: Module {
    public let gamma: Parameter
    public let beta: Parameter
    public var epsilon: Float

    public init(features: Int, epsilon: Float = 1e-5) {
        gamma = Parameter(Tensor(repeating: 1, shape: [features]))
        beta = Parameter(Tensor(zeros: [features]))
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Node) -> Node {
        let g = x.graph
        return g.layerNorm(x, gamma: g.parameter(gamma), beta: g.parameter(beta), epsilon: epsilon)
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("gamma", gamma)
        visit("beta", beta)
    }
}
