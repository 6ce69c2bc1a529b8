import Foundation

/// Top-K metrics for one held-out item per user, given the item's 0-based rank among the candidates.
public enum RankingMetrics {
    /// 1 when the item is in the top K.
    public static func hit(rank: Int, k: Int) -> Double { rank < k ? 1 : 0 }

    /// 1 / log2(rank + 2) when the item is in the top K (the ideal DCG is 1).
    public static func ndcg(rank: Int, k: Int) -> Double { rank < k ? 1 / Foundation.log2(Double(rank) + 2) : 0 }

    /// The 0-based rank of `target` among `scores`, skipping `excluded` candidates; ties rank the target last
    /// (the pessimistic convention, so constant scores earn nothing).
    public static func rank(of target: Int, scores: UnsafeBufferPointer<Float>, excluded: Set<Int32>) -> Int {
        let s = scores[target]
        var rank = 0
        for (i, x) in scores.enumerated() where i != target && x >= s && !excluded.contains(Int32(i)) { rank += 1 }
        return rank
    }

    /// Averages of HR@K and NDCG@K over users.
    public struct Summary: Sendable, Codable, CustomStringConvertible {
        public var users = 0
        public var hits: [Int: Double] = [:]
        public var ndcgs: [Int: Double] = [:]

        public init() {}

        public mutating func add(rank: Int, ks: [Int]) {
            users += 1
            for k in ks {
                hits[k, default: 0] += RankingMetrics.hit(rank: rank, k: k)
                ndcgs[k, default: 0] += RankingMetrics.ndcg(rank: rank, k: k)
            }
        }

        public func hitRate(at k: Int) -> Double { (hits[k] ?? 0) / Double(max(1, users)) }
        public func ndcg(at k: Int) -> Double { (ndcgs[k] ?? 0) / Double(max(1, users)) }

        public var description: String {
            hits.keys.sorted().map { String(format: "HR@%d %.4f NDCG@%d %.4f", $0, hitRate(at: $0), $0, ndcg(at: $0)) }.joined(separator: "  ")
        }
    }
}
