import CInt8Kernels

/// One prepared query, scored against stored rows by their index: float rows with the float
/// kernels, or int8 codes with the query already folded into the quantizer's grid. A plain struct
/// of pointers. The hot loops (graph layers, scans) take it apart once into `floatRows` or
/// `codeRows` and run specialised for that form: a branch per score measured 5% slower.
struct QueryScorer {
    /// The query for float rows; for codes, the folded query (then, for L2, the weights).
    let query: UnsafePointer<Float>
    let floats: UnsafePointer<Float>?
    let codes: UnsafePointer<UInt8>?
    let dimension: Int
    let isL2: Bool
    /// For codes, the constant term of the folded score.
    let constant: Float

    /// A query against float rows.
    init(_ query: UnsafePointer<Float>, rows: VectorStorage, metric: VectorMetric) {
        (self.query, floats, codes, dimension, isL2, constant) = (query, UnsafePointer(rows.base), nil, rows.dimension, metric == .l2, 0)
    }

    /// Folds `query` into the grid of `rows` for the duration of `body`.
    static func with<R>(_ query: UnsafePointer<Float>, codes rows: CodeStorage, metric: VectorMetric, _ body: (QueryScorer) -> R) -> R {
        let d = rows.dimension
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * d) { folded in
            let constant = rows.quantizer.fold(query, l2: metric == .l2, into: folded.baseAddress!)
            return body(QueryScorer(folded: folded.baseAddress!, codes: rows.base, dimension: d, isL2: metric == .l2, constant: constant))
        }
    }

    private init(folded: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, dimension: Int, isL2: Bool, constant: Float) {
        (query, floats, self.codes, self.dimension, self.isL2, self.constant) = (folded, nil, Optional(codes), dimension, isL2, constant)
    }

    /// The score of row `i`: higher is nearer (see `VectorMetric`).
    @inline(__always)
    func score(_ i: Int) -> Float {
        if let rows = codeRows { return rows.score(i) }
        return floatRows!.score(i)
    }

    /// Bytes per row.
    var rowBytes: Int { codes == nil ? dimension * MemoryLayout<Float>.stride : dimension }

    var floatRows: FloatRows? { floats.map { FloatRows(query: query, base: $0, dimension: dimension, isL2: isL2) } }
    var codeRows: CodeRows? { codes.map { CodeRows(folded: query, base: $0, dimension: dimension, isL2: isL2, constant: constant) } }
}

/// Scores rows of one stored form; the search loops are generic over it.
protocol RowScorer {
    func score(_ i: Int) -> Float
    func row(_ i: Int) -> UnsafeRawPointer
}

struct FloatRows: RowScorer {
    let query: UnsafePointer<Float>
    let base: UnsafePointer<Float>
    let dimension: Int
    let isL2: Bool

    @inline(__always)
    func score(_ i: Int) -> Float {
        let row = base + i &* dimension
        return isL2 ? -VectorKernels.squaredDistance(query, row, dimension) : VectorKernels.dot(query, row, dimension)
    }

    @inline(__always)
    func row(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + i &* dimension) }
}

struct CodeRows: RowScorer {
    let folded: UnsafePointer<Float>
    let base: UnsafePointer<UInt8>
    let dimension: Int
    let isL2: Bool
    let constant: Float

    @inline(__always)
    func score(_ i: Int) -> Float {
        let row = base + i &* dimension
        return isL2 ? -(constant + funnel_weighted_squared_distance_u8(folded, folded + dimension, row, dimension))
            : constant + funnel_dot_u8(folded, row, dimension)
    }

    @inline(__always)
    func row(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + i &* dimension) }
}
