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

extension CrossNetwork {
    /// The crosses without a graph, for serving.
    public func forward(_ x0: Matrix, in workspace: Workspace) -> Matrix {
        var x = x0
        for layer in layers {
            let y = layer.forward(x, in: workspace)
            for i in 0..<y.count { y.base[i] = x0.base[i] * y.base[i] + x.base[i] }
            x = y
        }
        return x
    }
}
