import Foundation
import FunnelData
import FunnelExperiments
import FunnelStore
import Testing
@testable import FunnelPipeline

/// An experiment in the simulated world, judged against its truth: feeds made from the latest
/// items alone serve simulated users worse than the whole pipeline, and the experiment's report,
/// from its own log, finds the loss the two whole populations show.
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
    }
}
