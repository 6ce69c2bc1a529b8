import FunnelIndex

/// What the vector channels (two-tower, ALS) share to leave out what a user acted on.
extension HNSWIndex {
    /// The vectors of the item-space `rows` that are indexed (`vectorOfRow`: −1 when not).
    static func vectors(ofRows rows: [Int32], _ vectorOfRow: [Int32]) -> [Int32] {
        rows.compactMap { Int($0) < vectorOfRow.count && vectorOfRow[Int($0)] >= 0 ? vectorOfRow[Int($0)] : nil }
    }

    /// The `k` best for `query` among the vectors not in `excluded`, exploring at least `ef` nodes.
    func search(_ query: [Float], k: Int, ef: Int, excluding excluded: Set<Int32>) -> [VectorHit] {
        let filter = excluded.isEmpty ? nil : VectorFilter(estimatedCount: count - excluded.count) { !excluded.contains($0) }
        return search(query, k: k, ef: max(ef, k), filter: filter)
    }
}
