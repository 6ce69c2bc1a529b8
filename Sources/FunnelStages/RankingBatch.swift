/// The candidates of one request as a ranker reads them: a row of features each, in the
/// columns the ranker declared (`Ranker.featureNames`), row after row.
public struct RankingBatch: Sendable {
    public let count: Int
    public let width: Int
    /// `count × width` values, row-major.
    public let features: [Float]

    public init(width: Int, features: [Float]) {
        precondition(width > 0 && features.count % width == 0, "\(features.count) feature values do not fill rows of \(width)")
        self.width = width
        self.count = features.count / width
        self.features = features
    }

    /// The batch of rows of `width` values, keeping of each only the values at `columns`, in
    /// that order (all of them when `columns` is nil).
    public init(width: Int, features: [Float], columns: [Int]?) {
        guard let columns else {
            self.init(width: width, features: features)
            return
        }
        let count = features.count / width
        var kept: [Float] = []
        kept.reserveCapacity(count * columns.count)
        for r in 0..<count { for c in columns { kept.append(features[r * width + c]) } }
        self.init(width: columns.count, features: kept)
    }

    /// The features of candidate `row`.
    @inlinable
    public func row(_ row: Int) -> ArraySlice<Float> { features[(row * width)..<((row + 1) * width)] }

    /// The batch of the candidates at `rows`, in that order.
    public func rows(_ rows: some Collection<Int>) -> RankingBatch {
        var kept: [Float] = []
        kept.reserveCapacity(rows.count * width)
        for r in rows { kept.append(contentsOf: row(r)) }
        return RankingBatch(width: width, features: kept)
    }
}
