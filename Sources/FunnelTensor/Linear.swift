/// An affine layer y = x · W + b, with `W` of shape `[input, output]`.
public struct Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    /// Weights and bias drawn from U(−1/√input, 1/√input).
    public init(input: Int, output: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let limit = 1 / Float(input).squareRoot()
        weight = Parameter(.randomUniform(shape: [input, output], in: -limit...limit, generator: &generator))
        self.bias = bias ? Parameter(.randomUniform(shape: [output], in: -limit...limit, generator: &generator)) : nil
    }

    public var inputSize: Int { weight.shape[0] }
    public var outputSize: Int { weight.shape[1] }

    public func callAsFunction(_ x: Node) -> Node {
        let g = x.graph
        return g.linear(x, weight: g.parameter(weight), bias: bias.map { g.parameter($0) })
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("weight", weight)
        if let bias { visit("bias", bias) }
    }
}
