import ArgumentParser
import Foundation
import FunnelExperiments
import FunnelPipeline
import FunnelServer
import FunnelStore

/// `funnel experiment report`: an experiment's analysis from the store's event log.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Analyse the experiments of a funnel.toml on a store's event log.",
        subcommands: [Report.self]
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
}
