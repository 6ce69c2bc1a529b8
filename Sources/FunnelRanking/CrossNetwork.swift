import FunnelTensor

/// The cross network of DCN-v2 (Wang et al., 2021): x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l,
/// with full-rank `W_l`, giving explicit feature crosses of rising degree.
public struct CrossNetwork: Module {
    public let layers: [Linear]

    public init(dimension: Int, depth: Int, generator: inout SeededGenerator) {
        layers = (0..<depth).map { _ in Linear(input: dimension, output: dimension, generator: &generator) }
    }

    public func callAsFunction(_ x0: Node) -> Node {
        var x = x0
        for layer in layers { x = x0 * layer(x) + x }
        return x
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("layers", layers, visit)
    }
}
