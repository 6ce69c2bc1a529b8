/// Int8 scalar quantization: each dimension's trained range cut into 255 equal steps, and every
/// value stored as the byte of its nearest step, a quarter of the memory of a float. A value
/// outside the range takes the byte of the nearer end.
///
/// Searches never decode the rows: the float query is folded into the grid once, so a score is
/// one pass over the bytes. For the inner product q·x̂ = Σ qᵢ·lowerᵢ + Σ (qᵢ·stepᵢ)·cᵢ, and for L2
/// ‖q − x̂‖² = Σ stepᵢ² · ((qᵢ − lowerᵢ)/stepᵢ − cᵢ)², plus (qᵢ − lowerᵢ)² for a dimension whose
/// range is a single value.
public struct ScalarQuantizer: Codable, Sendable, Equatable {
    /// Per dimension, the value of byte 0 and the width of one step.
    public let lower: [Float]
    public let step: [Float]

    public var dimension: Int { lower.count }

    /// A quantizer for values in `lower[i]...upper[i]`.
    public init(lower: [Float], upper: [Float]) {
        guard lower.count == upper.count, !lower.isEmpty,
              zip(lower, upper).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 }) else {
            fatalError("a quantizer needs finite ranges with lower ≤ upper in every dimension, as many lower bounds as upper")
        }
        self.lower = lower
        step = zip(lower, upper).map { ($1 - $0) / 255 }
    }

    /// The ranges of `count` rows of `dimension` values, each prepared for `metric` first (unit
    /// length for cosine, as the index will store them).
    public init(training rows: UnsafeBufferPointer<Float>, dimension: Int, metric: VectorMetric) {
        guard dimension > 0, rows.count >= dimension, rows.count % dimension == 0 else {
            fatalError("training a quantizer needs at least one row of \(dimension) values, got \(rows.count) values")
        }
        var lower = [Float](repeating: .infinity, count: dimension), upper = [Float](repeating: -.infinity, count: dimension)
        for start in stride(from: 0, to: rows.count, by: dimension) {
            let normalised = metric == .cosine ? metric.prepare(Array(rows[start..<(start + dimension)])) : nil
            for j in 0..<dimension {
                let value = normalised?[j] ?? rows[start + j]
                lower[j] = min(lower[j], value)
                upper[j] = max(upper[j], value)
            }
        }
        self.init(lower: lower, upper: upper)
    }

    /// Trained on vectors given one by one.
    public init(training vectors: [[Float]], metric: VectorMetric) {
        guard let dimension = vectors.first?.count, vectors.allSatisfy({ $0.count == dimension }) else {
            fatalError("training a quantizer needs vectors, all of one dimension")
        }
        self = vectors.flatMap { $0 }.withUnsafeBufferPointer { ScalarQuantizer(training: $0, dimension: dimension, metric: metric) }
    }

    /// Whether the ranges are usable (a decoded file is checked with this).
    var isValid: Bool {
        !lower.isEmpty && lower.count == step.count && zip(lower, step).allSatisfy { $0.isFinite && $1.isFinite && $1 >= 0 }
    }

    /// The bytes of `vector`.
    public func encode(_ vector: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt8>) {
        for j in 0..<lower.count {
            let position = step[j] > 0 ? ((vector[j] - lower[j]) / step[j]).rounded() : 0
            codes[j] = UInt8(max(0, min(255, position.isNaN ? 0 : position)))
        }
    }

    /// The vector the bytes stand for.
    public func decode(_ codes: UnsafePointer<UInt8>, into vector: UnsafeMutablePointer<Float>) {
        for j in 0..<lower.count { vector[j] = lower[j] + step[j] * Float(codes[j]) }
    }

    /// Folds a prepared query into the grid, into `folded` (2 · dimension floats): for the inner
    /// product qᵢ·stepᵢ; for L2 (qᵢ − lowerᵢ)/stepᵢ, then the weights stepᵢ². Returns the constant
    /// term of the score (see the type's comment).
    func fold(_ query: UnsafePointer<Float>, l2: Bool, into folded: UnsafeMutablePointer<Float>) -> Float {
        let d = lower.count
        var constant: Float = 0
        for j in 0..<d {
            if !l2 {
                folded[j] = query[j] * step[j]
                constant += query[j] * lower[j]
            } else if step[j] > 0 {
                folded[j] = (query[j] - lower[j]) / step[j]
                folded[d + j] = step[j] * step[j]
            } else {
                (folded[j], folded[d + j]) = (0, 0)
                constant += (query[j] - lower[j]) * (query[j] - lower[j])
            }
        }
        return constant
    }
}
