import Foundation

/// Item-based collaborative filtering: items are similar when the same users liked both.
///
/// sim(i, j) = Σ_u like(u, i) · like(u, j) / (‖like(·, i)‖ · ‖like(·, j)‖), the cosine of the two
/// items' user-interest vectors, where like(u, i) sums the interest weights of u's events on i.
/// Offline, every item keeps its `k` most similar items; online, a user's score for an item is
/// Σ_j like(u, j) · sim(j, i) over the user's last N items j.
public enum ItemCF {
    /// Each item's `k` most similar items. Rows are computed independently with a dense
    /// accumulator per thread, so memory is the matrix, the result and one item-sized scratch row
    /// per thread; the work is Σ_u |I_u|² plus a linear top-k selection per row.
    public static func similarities(_ m: InteractionMatrix, k: Int) -> NeighbourLists {
        let norms = (0..<m.itemCount).map { m.users(of: $0).weights.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return NeighbourLists.build(rows: m.itemCount, columns: m.itemCount, k: k,
                                    accumulate: { i, scratch, touched in accumulate(item: i, m, into: &scratch, touched: &touched) },
                                    score: { i, j, sum in
                                        let denominator = norms[i] * norms[Int(j)]
                                        return denominator > 0 ? sum / denominator : nil
                                    })
    }

    /// scratch[j] += like(u, i) · like(u, j) over the users u of item i, for every j ≠ i; the j
    /// first touched are appended to `touched`.
    static func accumulate(item i: Int, _ m: InteractionMatrix, into scratch: inout [Float], touched: inout [Int32]) {
        scratch.withUnsafeMutableBufferPointer { acc in
            m.userOffsets.withUnsafeBufferPointer { offsets in
                m.userItems.withUnsafeBufferPointer { items in
                    m.userWeights.withUnsafeBufferPointer { weights in
                        let (users, userWeights) = m.users(of: i)
                        for (u, w) in zip(users, userWeights) {
                            for p in offsets[Int(u)]..<offsets[Int(u) + 1] {
                                let j = Int(items[p])
                                if j == i { continue }
                                if acc[j] == 0 { touched.append(Int32(j)) }
                                acc[j] += w * weights[p]
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scores every item for a user with the given history (item, like weight): Σ_j like(u, j) · sim(j, i).
    public static func scores(history: [(item: Int32, weight: Float)], similarities: NeighbourLists, itemCount: Int) -> [Float] {
        var scores = [Float](repeating: 0, count: itemCount)
        for (j, weight) in history {
            let (neighbours, sims) = similarities.row(Int(j))
            for (i, s) in zip(neighbours, sims) { scores[Int(i)] += weight * s }
        }
        return scores
    }
}
