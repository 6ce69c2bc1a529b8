import Foundation
import FunnelData

/// The analysis of one experiment from the event log: its users by arm (as their exposures
/// logged them), each metric per arm, and each treatment arm against control with its
/// confidence interval and p-value; the sample-ratio check; and warnings a reader needs.
///
/// Users are the randomised units, so every metric is per user: counts and time per user by
/// Welch's t-test (CUPED-adjusted by the same metric over an equally long pre-period, when the
/// users were active in it), and rates over exposures or days (click rate, feed depth,
/// retention) by the delta method. A user counts in an arm from their first logged exposure in
/// it; one logged in two arms of the experiment (the plan changed under them) is left out and
/// counted.
public struct ExperimentReport: Sendable, Codable {
    public struct Metric: Sendable, Codable {
        public var name: String
        /// `mean per user` or `ratio`.
        public var kind: String
        /// Control's value, then each other arm's.
        public var values: [Double]
        /// Each treatment arm against control.
        public var comparisons: [Comparison]
        /// With CUPED: the share of the variance the pre-period removed, per treatment arm.
        public var varianceReduction: [Double]?
    }

    public var experiment: String
    public var arms: [String]
    public var users: [Int]
    public var sampleRatio: SampleRatioCheck
    public var start: Date
    public var end: Date
    public var days: Double
    public var metrics: [Metric]
    /// Users logged in more than one arm (left out).
    public var switched: Int
    public var warnings: [String]

    /// Users an arm needs before its tests are trusted (the normal approximation of means of
    /// skewed per-user counts).
    public static let minimumUsers = 100

    /// Analyses `experiment` on `events` (all events of the window and the pre-period before it,
    /// in any order), as of `now`. Without a planned start, the window opens at the first
    /// exposure logged with the experiment.
    public init(_ experiment: ExperimentPlan.Experiment, events: [Event], now: Date, confidence: Double = 0.95) throws {
        let key = experiment.name
        // Each exposure's label read once: the exposures of this experiment with their arm.
        let logged = events.filter { $0.type == .exposure }.compactMap { e in
            e.context.experiments.flatMap { Assignment(label: $0)?.arms[key] }.map { (e, $0) }
        }
        guard let firstSeen = logged.map(\.0.timestamp).min() else {
            throw PlanError("no exposure in the log carries experiment '\(key)': is it in the served [experiments], and has anyone been served since?")
        }
        let start = experiment.start ?? firstSeen
        let plannedEnd = experiment.days.map { start.addingTimeInterval(Double($0) * 86_400) }
        let end = min(plannedEnd ?? now, now)
        guard end > start else { throw PlanError("experiment '\(key)' starts at \(start), after the end of the window (\(end))") }

        // Arms, from the exposures in the window.
        var arm: [String: String] = [:], switchedUsers = Set<String>()
        for (event, name) in logged where event.timestamp >= start && event.timestamp < end {
            if let known = arm[event.userID], known != name { switchedUsers.insert(event.userID) } else { arm[event.userID] = name }
        }
        for user in switchedUsers { arm[user] = nil }
        let armNames = experiment.arms.map(\.name)
        let unknown = Set(arm.values).subtracting(armNames)
        guard unknown.isEmpty else {
            throw PlanError("the log has arms of '\(key)' the plan lacks (\(unknown.sorted().joined(separator: ", "))): report with the plan that served them")
        }

        let activity = UserActivity(events: events, users: Set(arm.keys), start: start, end: end)
        var warnings: [String] = []
        if let planned = plannedEnd {
            if now < planned {
                warnings.append("interim look: the planned \(experiment.days!) days end at \(ISO8601DateFormatter().string(from: planned)). Each look before then is another chance of a false positive, so these p-values overstate the evidence; decide at the planned end")
            }
        } else {
            warnings.append("no planned duration (days): a test stopped when it first looks significant finds effects that are not there; fix the days in advance")
        }
        if !switchedUsers.isEmpty { warnings.append("\(switchedUsers.count) users were logged in more than one arm and are left out") }
        self.init(experiment, activity: activity, arm: arm, confidence: confidence, warnings: warnings)
        switched = switchedUsers.count
    }

    /// The analysis of `experiment` with users in the arms `arm` gives (a user it leaves out is
    /// in no arm), over what `activity` holds of them. `warnings`: the caller's, before the
    /// analysis's own.
    public init(_ experiment: ExperimentPlan.Experiment, activity: UserActivity, arm: [String: String], confidence: Double = 0.95,
                warnings callerWarnings: [String] = []) {
        let armNames = experiment.arms.map(\.name)
        let (during, before, dayCount) = (activity.during, activity.before, activity.dayCount)
        let usersByArm = armNames.map { name in arm.filter { $0.value == name }.map(\.key).sorted() }
        let hasPrePeriod = usersByArm.joined().contains { before[$0] != nil }
        typealias Activity = UserActivity.Activity
        // Per-user values of a metric in one period.
        func values(_ users: [String], _ period: [String: Activity], _ value: (Activity) -> Double) -> [Double] {
            users.map { value(period[$0] ?? Activity()) }
        }
        var metrics: [Metric] = []
        func perUser(_ name: String, _ value: @escaping (Activity) -> Double) {
            let arms = usersByArm.map { values($0, during, value) }
            var metric = Metric(name: name, kind: "mean per user", values: arms.map { Moments($0).mean }, comparisons: [])
            if hasPrePeriod {
                let covariates = usersByArm.map { values($0, before, value) }
                let adjusted = (1..<arms.count).map {
                    Comparison.cuped(control: (arms[0], covariates[0]), treatment: (arms[$0], covariates[$0]), confidence: confidence)
                }
                metric.comparisons = adjusted.map(\.comparison)
                metric.varianceReduction = adjusted.map(\.varianceReduction)
            } else {
                metric.comparisons = (1..<arms.count).map { Comparison.welch(control: arms[0], treatment: arms[$0], confidence: confidence) }
            }
            metrics.append(metric)
        }
        func ratio(_ name: String, _ numerator: @escaping (Activity) -> Double, _ denominator: @escaping (Activity) -> Double) {
            let arms = usersByArm.map { (values($0, during, numerator), values($0, during, denominator)) }
            let comparisons = (1..<arms.count).map { Comparison.ratio(control: arms[0], treatment: arms[$0], confidence: confidence) }
            let control = comparisons.first?.control ?? RatioEstimate(numerators: arms[0].0, denominators: arms[0].1).ratio
            metrics.append(Metric(name: name, kind: "ratio", values: [control] + comparisons.map(\.treatment), comparisons: comparisons))
        }
        // A day's activity followed by activity `gap` days later, counted over days that have one.
        func returned(_ gap: Int) -> (Activity) -> Double {
            { a in Double(a.activeDays.filter { $0 + gap < dayCount && a.activeDays.contains($0 + gap) }.count) }
        }
        func returnable(_ gap: Int) -> (Activity) -> Double {
            { a in Double(a.activeDays.filter { $0 + gap < dayCount }.count) }
        }

        perUser("active days") { Double($0.activeDays.count) }
        perUser("items viewed") { $0.counts[0] }
        perUser("time spent (s)") { $0.watchSeconds }
        for (k, type) in UserActivity.counted.enumerated().dropFirst() {
            perUser("\(type.rawValue)s") { $0.counts[k] }
        }
        ratio("feed depth (items per active day)", { $0.counts[0] }, { Double($0.activeDays.count) })
        for (k, type) in UserActivity.counted.enumerated().dropFirst() {
            ratio("\(type.rawValue) rate (per item viewed)", { $0.counts[k] }, { $0.counts[0] })
        }
        var warnings = callerWarnings
        if let (name, users) = zip(armNames, usersByArm.map(\.count)).min(by: { $0.1 < $1.1 }), users < Self.minimumUsers {
            warnings.append("too few users: arm '\(name)' of '\(experiment.name)' holds \(users), fewer than the \(Self.minimumUsers) its tests' normal approximation needs; "
                + "its intervals and p-values are not to be trusted yet (run it longer or give it more traffic)")
        }
        for gap in [1, 7] where dayCount > gap {
            ratio("retention at \(gap) day\(gap == 1 ? "" : "s")", returned(gap), returnable(gap))
        }
        if dayCount <= 7 { warnings.append("the window holds \(dayCount) day(s): retention at 7 days needs more than 7") }

        let sampleRatio = SampleRatioCheck(observed: usersByArm.map(\.count), shares: experiment.shares)
        if sampleRatio.isMismatch {
            warnings.append(String(format: "sample ratio mismatch (p = %.2g): the arms hold %@ users where the plan expects %@; assignment or logging is broken, and no effect here can be trusted",
                                   sampleRatio.pValue, usersByArm.map { String($0.count) }.joined(separator: " / "),
                                   sampleRatio.expected.map { String(format: "%.0f", $0) }.joined(separator: " / ")))
        }
        if !hasPrePeriod { warnings.append("no activity in the pre-period: the comparisons are not CUPED-adjusted") }

        self.experiment = experiment.name
        arms = armNames
        users = usersByArm.map(\.count)
        self.sampleRatio = sampleRatio
        (start, end) = (activity.start, activity.end)
        days = end.timeIntervalSince(start) / 86_400
        self.metrics = metrics
        switched = 0
        self.warnings = warnings
    }

    /// The report as text: a table per treatment arm, then the warnings.
    public var text: String {
        var lines = ["experiment \(experiment): \(String(format: "%.1f", days)) days from \(ISO8601DateFormatter().string(from: start))",
                     "users: " + zip(arms, users).map { "\($0) \($1)" }.joined(separator: ", ")
                         + String(format: " (sample-ratio p = %.3g)", sampleRatio.pValue)]
        let confidence = metrics.first?.comparisons.first?.confidence ?? 0.95
        let interval = String(format: "%g%% interval of the change", 100 * confidence)
        for (t, arm) in arms.enumerated().dropFirst() {
            lines.append("")
            lines.append("\(arm) against control:")
            lines.append("metric".padded(38) + " " + "control".padded(12, left: true) + " " + arm.padded(12, left: true) + " " + "change".padded(9, left: true)
                + " " + interval.padded(25, left: true) + " " + "p".padded(8, left: true) + " " + "detectable".padded(10, left: true))
            for metric in metrics {
                let c = metric.comparisons[t - 1]
                let marker = c.isSignificant ? " *" : ""
                let detectable = c.control == 0 ? Double.nan : 100 * c.minimumDetectable() / abs(c.control)
                lines.append(metric.name.padded(38) + String(format: " %12.5g %12.5g %+8.2f%% [%+11.4g, %+11.4g] %8.3g %9.2f%%", metric.values[0], metric.values[t],
                                                                 100 * c.relative, c.lower, c.upper, c.pValue, detectable) + marker)
            }
        }
        if metrics.contains(where: { $0.varianceReduction != nil }) { lines.append("\nper-user metrics are CUPED-adjusted by the pre-period") }
        lines.append(String(format: "* significant at %g%%; detectable: the change (in %% of control) the test would find 4 times in 5", 100 * confidence))
        lines += warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Padded with spaces to `width` characters (on the left for a column of numbers).
    public func padded(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return left ? pad + self : self + pad
    }
}
