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
    private let rowOfCode: CodeTable

    public init(frequent: [Float], buckets: Int, offset: Int) {
        precondition(buckets >= 1, "an id vocabulary needs at least one shared row")
        (self.frequent, self.buckets, self.offset) = (frequent, buckets, offset)
        rowOfCode = CodeTable(codes: frequent.map { UInt32($0) }, firstRow: Int32(offset + 1))
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
        if let row = rowOfCode.row(of: UInt32(code)) { return row }
        return Int32(offset + 1 + frequent.count) + Int32(UInt32(code) % UInt32(buckets))
    }
}

extension IDVocabulary {
    /// The frequent codes' rows in an open-addressing table (linear probing, 0 marks an empty
    /// slot since codes start at 1), hashed by one multiplication: serving looks up every
    /// candidate's ids, and a `Dictionary` keyed by `Float` spent most of that time hashing.
    struct CodeTable: Sendable, Equatable {
        private let codes: [UInt32]
        private let rows: [Int32]
        private let shift: UInt32

        init(codes frequent: [UInt32], firstRow: Int32) {
            var bits: UInt32 = 1
            while 1 << bits < 2 * max(frequent.count, 1) { bits += 1 }
            let size = 1 << Int(bits)
            var codes = [UInt32](repeating: 0, count: size), rows = [Int32](repeating: 0, count: size)
            shift = 32 - bits
            for (k, code) in frequent.enumerated() {
                var slot = Self.slot(code, shift: shift)
                while codes[slot] != 0 { slot = (slot + 1) & (size - 1) }
                (codes[slot], rows[slot]) = (code, firstRow + Int32(k))
            }
            (self.codes, self.rows) = (codes, rows)
        }

        @inline(__always)
        private static func slot(_ code: UInt32, shift: UInt32) -> Int { Int((code &* 0x9E37_79B1) >> shift) }

        @inline(__always)
        func row(of code: UInt32) -> Int32? {
            codes.withUnsafeBufferPointer { codes in
                var slot = Self.slot(code, shift: shift)
                while true {
                    let held = codes[slot]
                    if held == code { return rows[slot] }
                    if held == 0 { return nil }
                    slot = (slot + 1) & (codes.count - 1)
                }
            }
        }
    }
}

extension [IDVocabulary] {
    /// The rows of the table these columns share: where the next column's rows would start.
    var tableRows: Int { last.map { $0.offset + $0.rowCount } ?? 0 }
}
