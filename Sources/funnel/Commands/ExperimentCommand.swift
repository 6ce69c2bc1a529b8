import ArgumentParser
import Foundation
import FunnelData
import FunnelExperiments
import FunnelPipeline
import FunnelServer
import FunnelStore

/// `funnel experiment report`: an experiment's analysis from the store's event log.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Analyse the experiments of a funnel.toml on a store's event log.",
        subcommands: [Report.self, AA.self, Simulate.self]
    )

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each arm against control: per-user metrics (CUPED-adjusted), rates and retention by the delta method, the sample-ratio check.",
            discussion: """
                The users of each arm are read from the arms logged with their exposures; the window runs from the experiment's start (or its first logged exposure) to its planned end or now, and the pre-period before it, of the same length, adjusts the per-user metrics (CUPED).
                """
        )

        @Option(help: "The store: a SQLite file path or a postgres:// URL.")
        var store: String = StoreLocation.defaultPath

        @Option(help: "The funnel.toml whose [experiments] served the log.")
        var config: String

        @Option(help: "The experiment to analyse (default: every one).")
        var experiment: String?

        @Option(help: "Analyse as of this time (ISO 8601; default: now).")
        var now: String?

        @Option(help: "Confidence of the intervals.")
        var confidence: Double = 0.95

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        func run() async throws {
            guard confidence > 0 && confidence < 1 else { throw ValidationError("--confidence must be within (0, 1), got \(confidence)") }
            let at: Date
            if let now {
                guard let date = try? Date(now, strategy: .iso8601) else { throw ValidationError("--now must be an ISO 8601 time (2026-12-01T09:00:00Z), got '\(now)'") }
                at = date
            } else {
                at = Date()
            }
            let plan = try ConfigurationFile.load(URL(fileURLWithPath: config)).experimentPlan().plan
            guard !plan.experiments.isEmpty else { throw ValidationError("\(config) has no [experiments]") }
            let chosen = try experiment.map { name in
                guard let found = plan.experiment(named: name) else {
                    throw ValidationError("\(config) has no experiment '\(name)'; it has \(plan.experiments.map(\.name).joined(separator: ", "))")
                }
                return [found]
            } ?? plan.experiments
            let events = try await PipelineLoader.events(try await StoreLocation.open(store))
            var reports: [ExperimentReport] = []
            for e in chosen { reports.append(try ExperimentReport(e, events: events, now: at, confidence: confidence)) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            } else {
                print(reports.map(\.text).joined(separator: "\n\n"))
            }
        }
    }

    struct AA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "aa",
            abstract: "An A/A test on the log: each metric's false-positive rate over many random splits of the users, against its binomial range.",
            discussion: """
                The users exposed in the window (the last --days days before --end) are split in two at random --splits times, through the same salted bucketing as experiments, and each split is analysed as an experiment's report would be (CUPED by the pre-period of the same length before the window). No split changed what anyone was shown, so each significant result is a false positive: a metric whose count falls outside its binomial range has a test this traffic breaks.
                """
        )

        @Option(help: "The store: a SQLite file path or a postgres:// URL.")
        var store: String = StoreLocation.defaultPath

        @Option(help: "Days in the window.")
        var days: Int = 7

        @Option(help: "The end of the window (ISO 8601; default: the log's last event).")
        var end: String?

        @Option(help: "Random splits of the users.")
        var splits: Int = 200

        @Option(help: "The level of each test.")
        var alpha: Double = 0.05

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            guard days >= 1 else { throw ValidationError("--days must be at least 1, got \(days)") }
            guard splits >= 1 else { throw ValidationError("--splits must be at least 1, got \(splits)") }
            guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha must be within (0, 1), got \(alpha)") }
            let events = try await PipelineLoader.events(try await StoreLocation.open(store))
            let until: Date
            if let end {
                guard let date = try? Date(end, strategy: .iso8601) else { throw ValidationError("--end must be an ISO 8601 time (2026-12-01T00:00:00Z), got '\(end)'") }
                until = date
            } else {
                guard let last = events.lazy.map(\.timestamp).max() else { throw ValidationError("\(store) has no events") }
                until = last.addingTimeInterval(1)
            }
            let activity = UserActivity(events: events, users: nil, start: until.addingTimeInterval(-Double(days) * 86_400), end: until)
            let test = try AATest(activity, splits: splits, alpha: alpha)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(test), as: UTF8.self))
            } else {
                print(test.text)
            }
        }
    }

    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run an experiment in the simulated world and check its report against the truth.",
            discussion: """
                A world is simulated for --days logged days; the pipeline configured by --config is built from them; then --served-days are simulated three times from the same state: as the experiment (each user served their arm), with every user in control, and with every user in --arm. The report of the experiment's own log is printed beside the true change, the difference between the two whole populations. With --store, the logged days and the experiment's served days are written there, for funnel experiment report.
                """
        )

        @Option(help: "The funnel.toml whose [pipeline] and [experiments] serve the simulated users.")
        var config: String
        @Option(help: "The experiment to run.")
        var experiment: String
        @Option(help: "The arm to check against control (default: the experiment's first other arm).")
        var arm: String?
        @Option var seed: UInt64 = 1
        @Option var users = 3_000
        @Option var authors = 400
        @Option var items = 5_000
        @Option(help: "Logged days (the incumbent's), before the served ones.")
        var days = 7
        @Option(help: "Days served by the configured pipeline.")
        var servedDays = 7
        @Option(help: "Also write the logged and the experiment's served events into this store.")
        var store: String?

        func run() async throws {
            let file = try ConfigurationFile.load(URL(fileURLWithPath: config))
            let (plan, overrides) = try file.experimentPlan()
            guard let chosen = plan.experiment(named: experiment) else {
                throw ValidationError("\(config) has no experiment '\(experiment)'\(plan.experiments.isEmpty ? "" : "; it has " + plan.experiments.map(\.name).joined(separator: ", "))")
            }
            let treatment = arm ?? chosen.arms[1].name
            var world = FeedWorld.Configuration()
            (world.seed, world.users, world.authors, world.items, world.days) = (seed, users, authors, items, days)
            let simulation = FeedSimulation(world: try FeedWorld(world))
            let target: any Store
            if let store { target = try await StoreLocation.open(store) } else { target = try SQLiteStore.inMemory() }
            _ = try await SimulateCommand.write(simulation, into: target)
            let started = Date()
            let outcome = try await ExperimentSimulation.run(simulation, store: target, configuration: file.pipeline ?? PipelineConfiguration(),
                                                             plan: plan, overrides: overrides, experiment: experiment, arm: treatment, days: servedDays)
            print(outcome.report.text)
            guard let index = outcome.report.arms.firstIndex(of: treatment), index > 0 else { throw ValidationError("experiment '\(experiment)' has no treatment arm '\(treatment)'") }
            let t = index - 1
            print("\nagainst the truth (every user in control against every user in \(treatment)), \(String(format: "%.0f", Date().timeIntervalSince(started))) s:")
            print("metric".padded(38) + " " + "true change".padded(12, left: true) + " " + "estimated".padded(12, left: true) + " "
                  + "interval".padded(25, left: true) + " " + "covered".padded(8, left: true))
            var covered = 0
            for (metric, truth) in zip(outcome.report.metrics, outcome.truth.metrics) {
                let estimate = metric.comparisons[t], real = truth.comparisons[0].difference
                let inside = estimate.lower <= real && real <= estimate.upper
                covered += inside ? 1 : 0
                print(metric.name.padded(38) + String(format: " %+12.4g %+12.4g [%+11.4g, %+11.4g] ", real, estimate.difference, estimate.lower, estimate.upper)
                  + (inside ? "yes" : "NO").padded(8, left: true))
            }
            print("\(covered) of \(outcome.report.metrics.count) intervals hold the true change")
            if let store {
                for start in stride(from: 0, to: outcome.events.count, by: 50_000) {
                    try await target.appendEvents(Array(outcome.events[start..<min(outcome.events.count, start + 50_000)]))
                }
                print("the experiment's \(outcome.events.count) served events are in \(store): funnel experiment report --store \(store) --config \(config)")
            }
        }
    }
}
