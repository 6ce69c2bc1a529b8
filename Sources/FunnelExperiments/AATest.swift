import Foundation

/// An A/A test by re-randomisation: the users of a window are split into two arms at random
/// many times (each split salted on its own, through the same bucketing as experiments), each
/// split is analysed as an experiment would be, and each metric's false positives are counted.
/// No split changes what anyone was shown, so every significant result is a false positive:
/// at level α, each metric should be significant in about α of the splits, within the binomial
/// range of that count. A metric outside it has a test that cannot be trusted on this traffic
/// (skewed, heavy-tailed, or its users not independent). It also says how much CUPED narrows
/// the per-user metrics' intervals here.
public struct AATest: Sendable, Codable {
    public struct Metric: Sendable, Codable {
        public var name: String
        public var falsePositives: Int
        /// The binomial 95% range of the count at level α.
        public var expected: ClosedRange<Int>
        /// With CUPED: the mean share of the variance the pre-period removed.
        public var varianceReduction: Double?

        public var holds: Bool { expected.contains(falsePositives) }
    }

    public var splits: Int
    public var alpha: Double
    public var users: Int
    public var metrics: [Metric]
    /// Splits whose sample-ratio check raised its alarm (p < 0.001).
    public var sampleRatioAlarms: Int

    /// `splits` random halvings of the users exposed in `activity`'s window, tested at `alpha`.
    public init(_ activity: UserActivity, splits: Int = 200, alpha: Double = 0.05, salt: String = "aa") throws {
        precondition(splits >= 1 && alpha > 0 && alpha < 1)
        let users = activity.exposedUsers
        guard users.count >= 20 else { throw PlanError("an A/A test needs users exposed in the window; there are \(users.count)") }
        var counts: [Int] = [], reductions: [Double] = [], names: [String] = [], alarms = 0
        for k in 0..<splits {
            let experiment = ExperimentPlan.Experiment(name: "aa", layer: "\(salt)-\(k)", arms: [.init(name: "control"), .init(name: "b")])
            let plan = try ExperimentPlan(experiments: [experiment])
            let arm = Dictionary(uniqueKeysWithValues: users.map { ($0, plan.assignment(of: $0).arms["aa"]!) })
            let report = ExperimentReport(experiment, activity: activity, arm: arm, confidence: 1 - alpha)
            if names.isEmpty {
                names = report.metrics.map(\.name)
                counts = Array(repeating: 0, count: names.count)
                reductions = Array(repeating: 0, count: names.count)
            }
            for (m, metric) in report.metrics.enumerated() {
                if metric.comparisons[0].pValue < alpha { counts[m] += 1 }
                reductions[m] += metric.varianceReduction?[0] ?? .nan
            }
            if report.sampleRatio.isMismatch { alarms += 1 }
        }
        let range = Distributions.binomialRange(trials: splits, probability: alpha)
        metrics = names.indices.map { m in
            let reduction = reductions[m] / Double(splits)
            return Metric(name: names[m], falsePositives: counts[m], expected: range, varianceReduction: reduction.isNaN ? nil : reduction)
        }
        (self.splits, self.alpha, self.users, sampleRatioAlarms) = (splits, alpha, users.count, alarms)
    }

    /// All false positives over all metrics and splits, against the metrics × splits tests.
    public var pooledRate: Double { Double(metrics.reduce(0) { $0 + $1.falsePositives }) / Double(metrics.count * splits) }

    /// As a person reads it: one line per metric.
    public var text: String {
        var lines = [String(format: "A/A test: %d users split in two at random %d times, each metric tested at α = %g", users, splits, alpha),
                     "metric".padded(38) + " " + "false positives".padded(16, left: true) + " " + "rate".padded(7, left: true) + " "
                         + "expected (95%)".padded(15, left: true) + "  " + "CUPED narrows".padded(13, left: true)]
        for metric in metrics {
            let narrower = metric.varianceReduction.map { String(format: "%12.1f%%", 100 * (1 - (1 - $0).squareRoot())) } ?? ""
            lines.append(metric.name.padded(38) + String(format: " %16d %7.3f %15@  %@%@", metric.falsePositives, Double(metric.falsePositives) / Double(splits),
                                                         "\(metric.expected.lowerBound)–\(metric.expected.upperBound)", narrower, metric.holds ? "" : "  outside"))
        }
        lines.append(String(format: "pooled: %.4f of %d tests; %d of %d metrics within their range; sample-ratio alarms %d of %d splits",
                            pooledRate, metrics.count * splits, metrics.count(where: \.holds), metrics.count, sampleRatioAlarms, splits))
        lines.append("CUPED narrows: the mean narrowing of the per-user metrics' intervals by the pre-period, 1 − √(1 − variance removed)")
        return lines.joined(separator: "\n")
    }
}
