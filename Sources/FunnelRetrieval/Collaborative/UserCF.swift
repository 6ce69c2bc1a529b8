import Foundation

/// User-based collaborative filtering: users are similar when they liked the same items, rare
/// items counting for more than popular ones.
///
/// sim(u, v) = Σ over items l both liked of 1 / ln(1 + n_l), divided by √(|I_u| · |I_v|), where n_l
/// is the number of users of item l. Offline every user keeps their `k` most similar users;
/// online, score(u, i) = Σ_v sim(u, v) · like(v, i) over those users' items.
public enum UserCF {
    public static func similarities(_ m: InteractionMatrix, k: Int) -> NeighbourLists {
        let itemWeights = (0..<m.itemCount).map { l -> Float in
            let n = m.itemOffsets[l + 1] - m.itemOffsets[l]
            return n > 0 ? 1 / log(1 + Float(n)) : 0
        }
        let sizes = (0..<m.userCount).map { Float(m.userOffsets[$0 + 1] - m.userOffsets[$0]) }
        return NeighbourLists.build(rows: m.userCount, columns: m.userCount, k: k, accumulate: { u, scratch, touched in
            for l in m.items(of: u).items {
                let w = itemWeights[Int(l)]
                for v in m.users(of: Int(l)).users where Int(v) != u {
                    if scratch[Int(v)] == 0 { touched.append(v) }
                    scratch[Int(v)] += w
                }
            }
        }, score: { u, v, sum in
            let denominator = (sizes[u] * sizes[Int(v)]).squareRoot()
            return denominator > 0 ? sum / denominator : nil
        })
    }

    /// Scores every item for user `u`: Σ_v sim(u, v) · like(v, i) over u's similar users.
    public static func scores(user u: Int, similarities: NeighbourLists, matrix m: InteractionMatrix) -> [Float] {
        var scores = [Float](repeating: 0, count: m.itemCount)
        let (neighbours, sims) = similarities.row(u)
        for (v, s) in zip(neighbours, sims) {
            let (items, likes) = m.items(of: Int(v))
            for (i, like) in zip(items, likes) { scores[Int(i)] += s * like }
        }
        return scores
    }
}
