import Foundation
import FunnelData
import FunnelExperiments
import FunnelStore
import Testing
@testable import FunnelPipeline

/// An experiment in the simulated world, judged against its truth: feeds made from the latest
/// items alone serve simulated users worse than the whole pipeline, and the experiment's report,
/// from its own log, finds the loss the two whole populations show, and so does each half of the
/// users an experiment in another layer splits them into.
@Suite struct ExperimentSimulationTests {
    @Test func theReportFindsTheTrueEffect() async throws {
        var world = FeedWorld.Configuration()
        (world.seed, world.users, world.items, world.authors, world.days) = (5, 1_000, 2_000, 200, 5)
        let simulation = FeedSimulation(world: try FeedWorld(world), batchSize: 5_000)
        let store = try SQLiteStore.inMemory()
        while let batch = try simulation.nextBatch() {
            try await store.upsertUsers(batch.users)
            try await store.upsertItems(batch.items)
            try await store.appendEvents(batch.events)
        }
        var latestOnly = PipelineOverrides()
        (latestOnly.defaultQuota, latestOnly.quotas) = (0, ["latest": 50])
        let plan = try ExperimentPlan(experiments: [.init(name: "latest", arms: [.init(name: "control"), .init(name: "only")])])
        var configuration = PipelineConfiguration()
        configuration.quotas["two-tower"] = 0
        let outcome = try await ExperimentSimulation.run(simulation, store: store, configuration: configuration, plan: plan,
                                                         overrides: ["latest": ["only": latestOnly]], experiment: "latest", arm: "only", days: 4)
        #expect(outcome.report.users.allSatisfy { $0 > 350 } && !outcome.report.sampleRatio.isMismatch, "\(outcome.report.users)")
        func change(_ report: ExperimentReport, _ metric: String) throws -> Comparison {
            try #require(report.metrics.first { $0.name == metric }?.comparisons.first)
        }
        for metric in ["click rate (per item viewed)", "clicks", "time spent (s)"] {
            let estimate = try change(outcome.report, metric), truth = try change(outcome.truth, metric)
            #expect(truth.difference < 0 && estimate.isSignificant && estimate.upper < 0, "\(metric): \(estimate), truth \(truth.difference)")
            #expect(estimate.lower <= truth.difference && truth.difference <= estimate.upper,
                    "\(metric): the interval [\(estimate.lower), \(estimate.upper)] misses the true change \(truth.difference)")
        }
        #expect(outcome.events.contains { $0.type == .exposure && $0.context.experiments == "latest=only" })

        // Layers are orthogonal: split by an experiment of another layer, each half of the users
        // holds both arms in their shares and finds the same true effect.
        var arm: [String: String] = [:]
        for e in outcome.events where e.type == .exposure && e.timestamp >= outcome.report.start {
            if let name = e.context.experiments.flatMap({ Assignment(label: $0)?.arms["latest"] }) { arm[e.userID] = name }
        }
        let activity = UserActivity(events: outcome.events, users: Set(arm.keys), start: outcome.report.start, end: outcome.report.end)
        let other = try ExperimentPlan(experiments: [.init(name: "other", layer: "other", arms: [.init(name: "control"), .init(name: "b")])])
        for half in ["control", "b"] {
            let report = ExperimentReport(plan.experiments[0], activity: activity, arm: arm.filter { other.assignment(of: $0.key).arms["other"] == half })
            #expect(!report.sampleRatio.isMismatch, "half \(half): \(report.users)")
            for metric in ["click rate (per item viewed)", "clicks", "time spent (s)"] {
                let estimate = try change(report, metric), truth = try change(outcome.truth, metric)
                #expect(estimate.lower <= truth.difference && truth.difference <= estimate.upper,
                        "half \(half), \(metric): the interval [\(estimate.lower), \(estimate.upper)] misses the true change \(truth.difference)")
            }
        }
    }
}
