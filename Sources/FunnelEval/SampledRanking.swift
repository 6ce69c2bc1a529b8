import FunnelData

/// The sampled-negatives protocol (NCF, SASRec): each user's held-out item is ranked against
/// N items the user never interacted with, drawn uniformly or in proportion to popularity by a
/// seeded generator, so every model is scored on the same candidates.
public enum SampledRanking {
    public enum Sampling: String, Codable, Sendable, CaseIterable { case uniform, popularity }

    /// Candidate lists per user: the target first, then `negatives` sampled items (repeats allowed,
    /// as in SASRec's evaluation); nil for users without a target.
    public static func candidates(targets: [Int32?], interacted: [Set<Int32>], itemCount: Int, negatives: Int = 100,
                                  sampling: Sampling = .uniform, itemCounts: [Int]? = nil, seed: UInt64 = 42) -> [[Int32]?] {
        var generator = SplitMix64(seed: seed)
        var cumulative: [Double] = []
        if sampling == .popularity {
            guard let itemCounts, itemCounts.count == itemCount else { fatalError("popularity sampling needs a count per item") }
            var running = 0.0
            cumulative = itemCounts.map { running += Double(max(0, $0)); return running }
        }
        return targets.enumerated().map { user, target in
            guard let target else { return nil }
            let seen = interacted[user]
            guard seen.count + 1 < itemCount else { return [target] }
            var list = [target]
            list.reserveCapacity(negatives + 1)
            while list.count <= negatives {
                let item: Int32
                if sampling == .uniform || cumulative.last == 0 {
                    item = Int32(generator.next() % UInt64(itemCount))
                } else {
                    let u = generator.nextUnitDouble() * cumulative.last!
                    var low = 0, high = itemCount - 1
                    while low < high { let mid = (low + high) / 2; if cumulative[mid] > u { high = mid } else { low = mid + 1 } }
                    item = Int32(low)
                }
                if item != target && !seen.contains(item) { list.append(item) }
            }
            return list
        }
    }

    /// HR@K and NDCG@K of the target (first candidate) among each user's candidates, with ties
    /// counted at their expected rank. `scores(user, candidates)` returns one score per candidate.
    public static func evaluate(_ candidates: [[Int32]?], ks: [Int] = [10], scores: (Int32, [Int32]) -> [Float]) -> RankingMetrics.Summary {
        var summary = RankingMetrics.Summary()
        for (user, list) in candidates.enumerated() {
            guard let list else { continue }
            let s = scores(Int32(user), list)
            guard s.count == list.count else { fatalError("scores: \(s.count) scores for \(list.count) candidates") }
            let target = s[0]
            let greater = s.dropFirst().filter { $0 > target }.count
            let ties = s.dropFirst().filter { $0 == target }.count
            summary.add(greater: greater, ties: ties, ks: ks)
        }
        return summary
    }
}
