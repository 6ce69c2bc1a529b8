import Foundation

/// Top-K metrics for one held-out item per user, given the item's 0-based rank among the candidates.
public enum RankingMetrics {
    /// How many candidates score above `target` and how many tie with it, skipping those marked in `excluded`.
    public static func position(of target: Int, scores: UnsafeBufferPointer<Float>, excluded: [Bool]) -> (greater: Int, ties: Int) {
        let s = scores[target]
        var greater = 0, ties = 0
        excluded.withUnsafeBufferPointer { skip in
            for i in 0..<scores.count where scores[i] >= s && i != target && !skip[i] {
                if scores[i] > s { greater += 1 } else { ties += 1 }
            }
        }
        return (greater, ties)
    }

    /// HR@K and NDCG@K expected under a random order of ties: the target's rank is uniform over
    /// `greater ... greater + ties`, so constant scores earn chance level, no more.
    public static func expected(greater: Int, ties: Int, k: Int) -> (hit: Double, ndcg: Double) {
        guard greater < k else { return (0, 0) }
        let last = min(greater + ties, k - 1)
        var ndcg = 0.0
        for rank in greater...last { ndcg += 1 / Foundation.log2(Double(rank) + 2) }
        let positions = Double(ties + 1)
        return (Double(last - greater + 1) / positions, ndcg / positions)
    }

    /// Averages of HR@K and NDCG@K over users.
    public struct Summary: Sendable, Codable, CustomStringConvertible {
        public var users = 0
        public var hits: [Int: Double] = [:]
        public var ndcgs: [Int: Double] = [:]

        public init() {}

        /// Adds one user whose target has `greater` candidates above it and `ties` level with it.
        public mutating func add(greater: Int, ties: Int, ks: [Int]) {
            users += 1
            for k in ks {
                let (hit, ndcg) = RankingMetrics.expected(greater: greater, ties: ties, k: k)
                hits[k, default: 0] += hit
                ndcgs[k, default: 0] += ndcg
            }
        }

        public func hitRate(at k: Int) -> Double { (hits[k] ?? 0) / Double(max(1, users)) }
        public func ndcg(at k: Int) -> Double { (ndcgs[k] ?? 0) / Double(max(1, users)) }

        public var description: String {
            hits.keys.sorted().map { String(format: "HR@%d %.4f NDCG@%d %.4f", $0, hitRate(at: $0), $0, ndcg(at: $0)) }.joined(separator: "  ")
        }
    }
}
