import FunnelData

/// Rows of vectors padded with zeros to a multiple of 16 scalars, so the SGD updates of BPR and
/// item2vec run over whole SIMD registers with no tail; zero padding stays zero under their
/// updates. Loads and stores are unaligned.
enum PaddedRows {
    typealias Lanes = SIMD16<Float>

    /// Scalars per row for vectors of `dimension`.
    static func stride(_ dimension: Int) -> Int { (dimension + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount }

    /// `rows` rows whose first `dimension` scalars are uniform in ±0.5 / dimension (word2vec's
    /// and implicit's start), drawn row by row from `random`.
    static func randomStart(rows: Int, dimension: Int, random: inout SplitMix64) -> [Float] {
        let stride = stride(dimension)
        var v = [Float](repeating: 0, count: rows * stride)
        for r in 0..<rows { for d in 0..<dimension { v[r * stride + d] = Float(random.nextUnitDouble() - 0.5) / Float(dimension) } }
        return v
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    @inline(__always) static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self) }
}
