import FunnelTensor

/// Field re-weighting by squeeze and excitation (FiBiNET, Huang et al., RecSys 2019): each
/// field's vector is squeezed to its mean, two layers (the first `reduction` times narrower,
/// ReLU after each) give every field a weight, and each vector is scaled by its field's weight.
public struct SENet: Module {
    public let squeeze: Linear
    public let excite: Linear

    public init(fields: Int, reduction: Int = 3, generator: inout SeededGenerator) {
        let hidden = max(1, fields / max(1, reduction))
        squeeze = Linear(input: fields, output: hidden, bias: false, generator: &generator)
        excite = Linear(input: hidden, output: fields, bias: false, generator: &generator)
    }

    /// `embeddings` `[batch, fields, k]`, re-weighted, of the same shape.
    public func callAsFunction(_ embeddings: Node) -> Node {
        let (batch, fields) = (embeddings.shape[0], embeddings.shape[1])
        let weights = excite(squeeze(embeddings.mean(axis: 2)).relu()).relu()
        return embeddings * weights.reshaped([batch, fields, 1])
    }

    /// The same without a graph: row r of `embeddings` holds its `fields` vectors side by side.
    public func forward(_ embeddings: Matrix, in workspace: Workspace) -> Matrix {
        let fields = squeeze.inputSize, k = embeddings.columns / fields
        let means = workspace.matrix(rows: embeddings.rows, columns: fields)
        for i in 0..<(embeddings.rows * fields) {
            var sum: Float = 0
            for j in 0..<k { sum += embeddings.base[i * k + j] }
            means.base[i] = sum / Float(k)
        }
        let hidden = squeeze.forward(means, in: workspace)
        Activation.relu.apply(hidden)
        let weights = excite.forward(hidden, in: workspace)
        Activation.relu.apply(weights)
        let out = workspace.matrix(rows: embeddings.rows, columns: embeddings.columns)
        for i in 0..<(embeddings.rows * fields) {
            for j in 0..<k { out.base[i * k + j] = embeddings.base[i * k + j] * weights.base[i] }
        }
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("squeeze", squeeze, visit)
        FunnelTensor.visit("excite", excite, visit)
    }
}
