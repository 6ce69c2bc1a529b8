/// The full-ranking protocol: each user's held-out item is ranked against every item the user
/// has not already interacted with.
public enum FullRanking {
    /// - Parameters:
    ///   - targets: the held-out item per user (users with nil are skipped).
    ///   - excluded: items never ranked for each user (e.g. their training items).
    ///   - scores: row-major scores `[users.count × itemCount]` for a batch of users.
    public static func evaluate(targets: [Int32?], excluded: [Set<Int32>], itemCount: Int, ks: [Int] = [10, 50],
                                batchSize: Int = 256, scores: ([Int32]) -> [Float]) -> RankingMetrics.Summary {
        evaluate(targets: targets, excluded: excluded, itemCount: itemCount, ks: ks, segment: [], batchSize: batchSize, scores: scores).all
    }

    /// As `evaluate(targets:…)`, with also the metrics over only the users whose held-out item
    /// is in `segment` (a flag per item), such as the long tail.
    public static func evaluate(targets: [Int32?], excluded: [Set<Int32>], itemCount: Int, ks: [Int] = [10, 50], segment: [Bool],
                                batchSize: Int = 256, scores: ([Int32]) -> [Float]) -> (all: RankingMetrics.Summary, segment: RankingMetrics.Summary) {
        var inSegment = RankingMetrics.Summary()
        let users = targets.indices.filter { targets[$0] != nil }.map { Int32($0) }
        var summary = RankingMetrics.Summary()
        // Excluded items as a reusable mask: a set lookup per item and user cost more than the counting.
        var isExcluded = [Bool](repeating: false, count: itemCount)
        var start = 0
        while start < users.count {
            let batch = Array(users[start..<min(users.count, start + batchSize)])
            let s = scores(batch)
            guard s.count == batch.count * itemCount else { fatalError("scores hold \(s.count) values for \(batch.count) users × \(itemCount) items") }
            s.withUnsafeBufferPointer { p in
                for (k, user) in batch.enumerated() {
                    let row = UnsafeBufferPointer(rebasing: p[(k * itemCount)..<((k + 1) * itemCount)])
                    for i in excluded[Int(user)] { isExcluded[Int(i)] = true }
                    let (greater, ties) = RankingMetrics.position(of: Int(targets[Int(user)]!), scores: row, excluded: isExcluded)
                    for i in excluded[Int(user)] { isExcluded[Int(i)] = false }
                    summary.add(greater: greater, ties: ties, ks: ks)
                    if segment.isEmpty == false && segment[Int(targets[Int(user)]!)] { inSegment.add(greater: greater, ties: ties, ks: ks) }
                }
            }
            start += batchSize
        }
        return (summary, inSegment)
    }
}
