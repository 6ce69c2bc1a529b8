import FunnelTensor

/// The second-order term of a factorisation machine (Rendle, 2010) over field embeddings:
/// Σ_{i<j} ⟨v_i, v_j⟩ = ½ Σ_k [(Σ_i v_ik)² − Σ_i v_ik²], in O(fields · k) rather than
/// O(fields² · k). A block without weights: FM and DeepFM read it beside their other parts.
public enum FactorizationMachine {
    /// `[batch]` pairwise-interaction sums of `embeddings` (`[batch, fields, k]`).
    public static func interactions(_ embeddings: Node) -> Node {
        let graph = embeddings.graph
        let sumSquared = embeddings.sum(axis: 1).squared()
        let squaredSum = embeddings.squared().sum(axis: 1)
        return graph.affine((sumSquared - squaredSum).sum(axis: 1), scale: 0.5)
    }

    /// The same sums without a graph: row r of `embeddings` (`[batch, fields · k]`) holds its
    /// fields' vectors side by side; the result is added to `out[r]`.
    public static func addInteractions(_ embeddings: Matrix, fields: Int, to out: UnsafeMutablePointer<Float>) {
        let k = embeddings.columns / fields
        for r in 0..<embeddings.rows {
            let row = embeddings.base + r * embeddings.columns
            var total: Float = 0
            for j in 0..<k {
                var sum: Float = 0, squares: Float = 0
                for f in 0..<fields {
                    let v = row[f * k + j]
                    sum += v
                    squares += v * v
                }
                total += sum * sum - squares
            }
            out[r] += 0.5 * total
        }
    }
}
