/// How well predicted probabilities match observed rates: the rows sorted by prediction and cut
/// into bins of equal count (deciles by default), each bin's mean prediction against its
/// observed positive rate, and the expected calibration error Σ (nᵦ / n)·|predictedᵦ − observedᵦ|.
public struct Calibration: Codable, Sendable, Equatable {
    public struct Bin: Codable, Sendable, Equatable {
        public var count: Int
        public var predicted: Double
        public var observed: Double
    }

    public let bins: [Bin]
    public let expectedError: Double

    public init(probabilities: [Float], labels: [Float], bins binCount: Int = 10) {
        precondition(probabilities.count == labels.count, "calibration: \(probabilities.count) predictions for \(labels.count) labels")
        precondition(binCount > 0, "calibration needs at least one bin")
        let order = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
        let n = order.count
        var bins: [Bin] = []
        var error = 0.0
        for b in 0..<binCount {
            let rows = order[(b * n / binCount)..<((b + 1) * n / binCount)]
            guard !rows.isEmpty else { continue }
            let predicted = rows.reduce(0.0) { $0 + Double(probabilities[$1]) } / Double(rows.count)
            let observed = rows.reduce(0.0) { $0 + (labels[$1] > 0.5 ? 1 : 0) } / Double(rows.count)
            bins.append(Bin(count: rows.count, predicted: predicted, observed: observed))
            error += Double(rows.count) * abs(predicted - observed)
        }
        self.bins = bins
        expectedError = n > 0 ? error / Double(n) : .nan
    }
}
