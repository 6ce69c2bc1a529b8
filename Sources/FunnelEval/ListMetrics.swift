import Foundation

/// Top-K metrics of one ranked list against the set of relevant items (binary relevance).
public enum ListMetrics {
    /// |relevant ∩ top K| / K.
    public static func precision(_ ranked: [Int32], relevant: Set<Int32>, k: Int) -> Double {
        guard k > 0 else { return 0 }
        return Double(ranked.prefix(k).filter(relevant.contains).count) / Double(k)
    }

    /// |relevant ∩ top K| / |relevant| (0 when nothing is relevant).
    public static func recall(_ ranked: [Int32], relevant: Set<Int32>, k: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        return Double(ranked.prefix(k).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// DCG of the top K over the ideal DCG of min(K, |relevant|) hits, with gain 1 / log2(rank + 2).
    public static func ndcg(_ ranked: [Int32], relevant: Set<Int32>, k: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        var dcg = 0.0
        for (rank, item) in ranked.prefix(k).enumerated() where relevant.contains(item) {
            dcg += 1 / Foundation.log2(Double(rank) + 2)
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / Foundation.log2(Double($1) + 2) }
        return dcg / ideal
    }

    /// 1 / (rank of the first relevant item + 1) within the top K, else 0.
    public static func reciprocalRank(_ ranked: [Int32], relevant: Set<Int32>, k: Int = .max) -> Double {
        guard let rank = ranked.prefix(k).firstIndex(where: relevant.contains) else { return 0 }
        return 1 / Double(rank + 1)
    }

    /// Average precision at K: the mean of precision@i over the ranks i of relevant items in the
    /// top K, divided by min(K, |relevant|).
    public static func averagePrecision(_ ranked: [Int32], relevant: Set<Int32>, k: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        var hits = 0, total = 0.0
        for (rank, item) in ranked.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            total += Double(hits) / Double(rank + 1)
        }
        return total / Double(min(k, relevant.count))
    }

    /// NDCG@K with graded relevance: items ordered by `scores` (descending, ties by index), gains
    /// `relevance`, discount 1 / log2(rank + 2), normalised by the ideal order.
    public static func ndcg(scores: [Float], relevance: [Double], k: Int) -> Double {
        guard scores.count == relevance.count else { fatalError("ndcg: \(scores.count) scores for \(relevance.count) relevances") }
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        func dcg(_ gains: [Double]) -> Double {
            gains.prefix(k).enumerated().reduce(0) { $0 + $1.element / Foundation.log2(Double($1.offset) + 2) }
        }
        let ideal = dcg(relevance.sorted(by: >))
        return ideal > 0 ? dcg(order.map { relevance[$0] }) / ideal : 0
    }
}
