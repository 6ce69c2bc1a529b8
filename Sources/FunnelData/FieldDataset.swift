/// Examples of one-hot categorical fields with a binary label, the shape of CTR datasets:
/// `fieldCount` global feature ids per example, stored row-major.
public struct FieldDataset: Sendable {
    public var fieldCount: Int
    /// `count × fieldCount` feature ids, each below `vocabularySize`.
    public var ids: [Int32]
    public var labels: [Float]
    /// One more than the largest feature id seen (or as declared).
    public var vocabularySize: Int

    public init(fieldCount: Int, ids: [Int32], labels: [Float], vocabularySize: Int) {
        guard ids.count == labels.count * fieldCount else { fatalError("\(ids.count) ids for \(labels.count) examples of \(fieldCount) fields") }
        self.fieldCount = fieldCount
        self.ids = ids
        self.labels = labels
        self.vocabularySize = vocabularySize
    }

    public var count: Int { labels.count }

    public var positiveRate: Double {
        labels.isEmpty ? 0 : Double(labels.reduce(0, +)) / Double(labels.count)
    }

    /// The ids of the examples at `rows`, concatenated.
    public func ids(of rows: some Collection<Int>) -> [Int32] {
        var out = [Int32]()
        out.reserveCapacity(rows.count * fieldCount)
        for r in rows { out.append(contentsOf: ids[(r * fieldCount)..<((r + 1) * fieldCount)]) }
        return out
    }

    public func labels(of rows: some Collection<Int>) -> [Float] {
        rows.map { labels[$0] }
    }
}
