/// The embedding rows of one id column (`id:item`, `id:author`, …): an id seen at least
/// `minCount` times in training gets a row of its own; a rarer or unseen one shares a row
/// with the others its code hashes to, so that the long tail neither grows the table nor goes
/// unrepresented; a missing id (code 0) has a row of its own.
///
/// Ids arrive as the codes `RankingFeatures` writes, whole numbers in 1..<2²⁴ (exact as
/// `Float`). The rows are `offset`, `offset + 1`, …: every column's rows live in one table.
public struct IDVocabulary: Sendable, Equatable {
    /// The frequent codes, ascending; the k-th has row `offset + 1 + k`.
    public let frequent: [Float]
    public let buckets: Int
    public let offset: Int
    private let rowOfCode: [Float: Int32]

    public init(frequent: [Float], buckets: Int, offset: Int) {
        precondition(buckets >= 1, "an id vocabulary needs at least one shared row")
        (self.frequent, self.buckets, self.offset) = (frequent, buckets, offset)
        rowOfCode = Dictionary(uniqueKeysWithValues: frequent.enumerated().map { ($1, Int32(offset + 1 + $0)) })
    }

    /// The vocabulary of the codes `column` holds on `rows` of `features` (row-major, `width`
    /// columns): the codes present at least `minCount` times.
    public init(fitting features: [Float], width: Int, column: Int, rows: some Sequence<Int>, minCount: Int, buckets: Int, offset: Int) {
        var counts: [Float: Int] = [:]
        for r in rows {
            let code = features[r * width + column]
            if code != 0 { counts[code, default: 0] += 1 }
        }
        self.init(frequent: counts.filter { $0.value >= minCount }.keys.sorted(), buckets: buckets, offset: offset)
    }

    /// The rows this column takes: the missing id's, the frequent ids', the shared ones.
    public var rowCount: Int { 1 + frequent.count + buckets }

    /// The table row of the id with code `code` (a value outside the codes' range counts as missing).
    @inline(__always)
    public func row(of code: Float) -> Int32 {
        guard code >= 1, code < 16_777_216 else { return Int32(offset) }
        if let row = rowOfCode[code] { return row }
        return Int32(offset + 1 + frequent.count) + Int32(UInt32(code) % UInt32(buckets))
    }
}

extension [IDVocabulary] {
    /// The rows of the table these columns share: where the next column's rows would start.
    var tableRows: Int { last.map { $0.offset + $0.rowCount } ?? 0 }
}
