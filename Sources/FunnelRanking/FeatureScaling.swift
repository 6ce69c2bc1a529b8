/// Standardisation of dense features, (x − mean) / deviation per column, with the mean and
/// deviation of the training rows only (so validation rows stay unseen).
public struct FeatureScaling: Sendable, Equatable {
    public let mean: [Float]
    public let deviation: [Float]

    public init(mean: [Float], deviation: [Float]) {
        precondition(mean.count == deviation.count, "one deviation per mean")
        (self.mean, self.deviation) = (mean, deviation)
    }

    /// Fits the rows `rows` of `features` (row-major, `width` columns). A column constant over
    /// those rows gets a deviation of 1: a model learns nothing from it, so a value it never saw
    /// in training must move its input by the value's distance from the mean, not by a million
    /// times that (a deviation of 10⁻⁶ saturated every prediction served off the training value).
    public init(fitting features: [Float], width: Int, rows: some Collection<Int>) {
        var mean = [Float](repeating: 0, count: width), deviation = [Float](repeating: 0, count: width)
        let count = Float(max(1, rows.count))
        for r in rows { for j in 0..<width { mean[j] += features[r * width + j] } }
        for j in 0..<width { mean[j] /= count }
        for r in rows { for j in 0..<width { let d = features[r * width + j] - mean[j]; deviation[j] += d * d } }
        self.init(mean: mean, deviation: deviation.map { d in
            let sd = (d / count).squareRoot()
            return sd > 1e-6 ? sd : 1
        })
    }

    public var width: Int { mean.count }

    /// A linear layer over standardised features, rewritten to read the raw ones:
    /// Σᵢ wᵢⱼ (xᵢ − μᵢ)/σᵢ + bⱼ = Σᵢ (wᵢⱼ/σᵢ) xᵢ + (bⱼ − Σᵢ μᵢ wᵢⱼ/σᵢ), so that serving reads each
    /// value once. `weights` is `[width, bias.count]`, row-major.
    public func fold(weights: [Float], bias: [Float]) -> (weights: [Float], bias: [Float]) {
        let n = bias.count
        precondition(weights.count == width * n, "\(weights.count) weights do not make [\(width), \(n)]")
        var folded = weights, shifted = bias
        for j in 0..<n {
            var shift: Float = 0
            for i in 0..<width {
                folded[i * n + j] = weights[i * n + j] / deviation[i]
                shift += mean[i] * folded[i * n + j]
            }
            shifted[j] -= shift
        }
        return (folded, shifted)
    }

    /// The standardised values of `features` (whole rows, row-major).
    public func apply(_ features: some Collection<Float>) -> [Float] {
        let values = Array(features)
        return [Float](unsafeUninitializedCapacity: values.count) { out, count in
            if let base = out.baseAddress { values.withUnsafeBufferPointer { apply($0, into: base) } }
            count = values.count
        }
    }

    /// The same written to `out`, for a caller that holds the room (a serving workspace).
    public func apply(_ features: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let width = width, inverse = deviation.map { 1 / $0 }
        mean.withUnsafeBufferPointer { mean in
            inverse.withUnsafeBufferPointer { inverse in
                for r in 0..<(features.count / width) {
                    let from = features.baseAddress! + r * width, to = out + r * width
                    for j in 0..<width { to[j] = (from[j] - mean[j]) * inverse[j] }
                }
            }
        }
    }
}
