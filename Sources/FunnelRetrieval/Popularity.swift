import FunnelEval

/// Ranks items by how often they occur in training: the baseline every retrieval model must beat.
public struct Popularity: Sendable {
    public let counts: [Float]

    public init(items: [Int32], itemCount: Int) {
        var counts = [Float](repeating: 0, count: itemCount)
        for i in items { counts[Int(i)] += 1 }
        self.counts = counts
    }

    public func evaluate(targets: [Int32?], excluded: [Set<Int32>], ks: [Int] = [10, 50]) -> RankingMetrics.Summary {
        FullRanking.evaluate(targets: targets, excluded: excluded, itemCount: counts.count, ks: ks) { users in
            Array([[Float]](repeating: counts, count: users.count).joined())
        }
    }
}
