import FunnelTensor

/// The cross network of DCN-v2 (Wang et al., 2021): x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l,
/// giving explicit feature crosses of rising degree. `W_l` is full rank, or, with a `rank` r,
/// the product U_l V_lᵀ of two `dimension × r` matrices (the paper's low-rank cross), which
/// costs 2·r·d instead of d² per example and layer.
public struct CrossNetwork: Module {
    /// Each layer's map to the full width: W_l and b_l, or U_l and b_l when low rank.
    public let layers: [Linear]
    /// Each layer's V_l when low rank (x_l to r values, no bias); empty when full rank.
    public let projections: [Linear]

    public init(dimension: Int, depth: Int, rank: Int? = nil, generator: inout SeededGenerator) {
        var layers: [Linear] = [], projections: [Linear] = []
        for _ in 0..<depth {
            if let rank {
                projections.append(Linear(input: dimension, output: rank, bias: false, generator: &generator))
                layers.append(Linear(input: rank, output: dimension, generator: &generator))
            } else {
                layers.append(Linear(input: dimension, output: dimension, generator: &generator))
            }
        }
        (self.layers, self.projections) = (layers, projections)
    }

    public var rank: Int? { projections.first?.outputSize }

    public func callAsFunction(_ x0: Node) -> Node {
        var x = x0
        for (l, layer) in layers.enumerated() {
            x = x0.graph.multiplyAdd(x0, layer(projections.isEmpty ? x : projections[l](x)), x)
        }
        return x
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("layers", layers, visit)
        FunnelTensor.visit("projections", projections, visit)
    }
}

extension CrossNetwork {
    /// The crosses without a graph, for serving.
    public func forward(_ x0: Matrix, in workspace: Workspace) -> Matrix {
        var x = x0
        for (l, layer) in layers.enumerated() {
            let y = layer.forward(projections.isEmpty ? x : projections[l].forward(x, in: workspace), in: workspace)
            for i in 0..<y.count { y.base[i] = x0.base[i] * y.base[i] + x.base[i] }
            x = y
        }
        return x
    }
}
