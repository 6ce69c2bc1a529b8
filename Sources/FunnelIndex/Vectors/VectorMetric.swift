/// How two vectors compare. Every search returns the highest scores first: the inner product for
/// `innerProduct` and `cosine` (vectors and queries are normalised to unit length), and the
/// negated squared Euclidean distance for `l2`.
public enum VectorMetric: String, Codable, Sendable, CaseIterable {
    case innerProduct = "ip"
    case cosine
    case l2

    /// The score of `x` for query `q`, both `dimension` long (`q` already normalised for cosine).
    @inlinable
    public func score(_ q: UnsafePointer<Float>, _ x: UnsafePointer<Float>, dimension: Int) -> Float {
        switch self {
        case .innerProduct, .cosine: VectorKernels.dot(q, x, dimension)
        case .l2: -VectorKernels.squaredDistance(q, x, dimension)
        }
    }
}
