/// The sample-ratio-mismatch check: do the arms hold the users their shares promise? A chi-squared
/// goodness-of-fit test of the observed counts against the planned shares. A tiny p-value (below
/// 0.001, the usual alarm) means the assignment or the logging is broken, and no effect measured
/// on these arms can be trusted, however significant it looks.
public struct SampleRatioCheck: Sendable, Equatable, Codable {
    public var observed: [Int]
    public var expected: [Double]
    public var chiSquared: Double
    public var pValue: Double
    /// The p-value below which the counts are called a mismatch.
    public static let alarm = 0.001

    public var isMismatch: Bool { pValue < Self.alarm }

    public init(observed: [Int], shares: [Double]) {
        precondition(observed.count == shares.count && observed.count >= 2, "one share per arm, at least two arms")
        let total = Double(observed.reduce(0, +)), shareSum = shares.reduce(0, +)
        self.observed = observed
        expected = shares.map { total * $0 / shareSum }
        chiSquared = zip(observed, expected).reduce(0) { sum, pair in
            pair.1 > 0 ? sum + (Double(pair.0) - pair.1) * (Double(pair.0) - pair.1) / pair.1 : sum
        }
        pValue = total == 0 ? 1 : Distributions.chiSquaredUpperTail(chiSquared, degreesOfFreedom: observed.count - 1)
    }
}
