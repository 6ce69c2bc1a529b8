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
        self.init(width: width, features: features, rows: 0..<(features.count / width), columns: columns)
    }

    /// The batch of rows `rows` (in that order) of `features` (rows of `width` values), keeping
    /// of each only the values at `columns`, in that order (all of them when nil). Runs of
    /// consecutive columns are copied whole: serving selects a model's columns from every
    /// candidate's features on each request.
    public init(width: Int, features: [Float], rows: some Collection<Int>, columns: [Int]?) {
        var runs: [(from: Int, count: Int)] = []
        for column in columns ?? Array(0..<width) {
            precondition(column >= 0 && column < width, "column \(column) is outside rows of \(width) values")
            if let last = runs.last, last.from + last.count == column { runs[runs.count - 1].count += 1 } else { runs.append((column, 1)) }
        }
        let kept = columns?.count ?? width
        let values = [Float](unsafeUninitializedCapacity: rows.count * kept) { out, written in
            written = 0
            guard var o = out.baseAddress else { return }
            features.withUnsafeBufferPointer { x in
                for r in rows {
                    precondition(r >= 0 && (r + 1) * width <= x.count, "row \(r) is outside the batch")
                    let row = x.baseAddress! + r * width
                    for run in runs {
                        o.update(from: row + run.from, count: run.count)
                        o += run.count
                    }
                }
            }
            written = rows.count * kept
        }
        self.init(width: kept, features: values)
    }

    /// The features of candidate `row`.
    @inlinable
    public func row(_ row: Int) -> ArraySlice<Float> { features[(row * width)..<((row + 1) * width)] }

    /// The batch of the candidates at `rows`, in that order.
    public func rows(_ rows: some Collection<Int>) -> RankingBatch {
        RankingBatch(width: width, features: features, rows: rows, columns: nil)
    }
}
