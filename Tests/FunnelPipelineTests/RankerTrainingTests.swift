import Foundation
import FunnelData
import FunnelPipeline
import FunnelTestSupport
import Testing

/// The ranker's training examples on a simulated log: each example's statistics as of the start
/// of its refresh period, never later, and a held-out span that validates exactly its exposures.
@Suite struct RankerTrainingTests {
    static let world = simulatedLog(seed: 3, users: 400, items: 1_000, authors: 100, days: 4)

    @Test func statisticsAreAsOfEachExamplesPeriodAndTheHoldoutIsItsSpan() async throws {
        let (items, events) = Self.world
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 20_000
        let holdout: TimeInterval = 8 * 3_600
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration, holdout: holdout)
        let exposures = Array(try RankerTraining.examples(events, configuration: configuration))
        let (cutoff, last) = (exposures.first!.timestamp, exposures.last!.timestamp)
        #expect(last.timeIntervalSince(cutoff) > 2 * RankerTraining.statisticsRefresh, "the examples span several refresh periods")
        #expect(examples.validationRows.count == exposures.filter { $0.timestamp >= last.addingTimeInterval(-holdout) }.count)

        // An item's exposures over the last day, as the feature of an example in each period
        // must count them: those before the period's start, and none later.
        let column = examples.featureNames.firstIndex(of: "item:exposures:1d")!
        var checked = 0
        for k in stride(from: 0, to: exposures.count, by: 997) {
            let exposure = exposures[k]
            let period = (exposure.timestamp.timeIntervalSince(cutoff) / RankerTraining.statisticsRefresh).rounded(.down)
            let start = cutoff.addingTimeInterval(period * RankerTraining.statisticsRefresh)
            let expected = events.filter {
                $0.itemID == exposure.itemID && $0.type == .exposure && $0.timestamp < start && start.timeIntervalSince($0.timestamp) < 86_400
            }.count
            #expect(examples.features[k * examples.width + column] == Float(log1p(Double(expected))), "example \(k), period \(period)")
            checked += period > 0 ? 1 : 0
        }
        #expect(checked > 5, "examples after the first period are checked")
    }

    @Test func aHoldoutLongerThanTheExamplesIsRefused() async {
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 2_000
        await #expect(throws: (any Error).self) {
            _ = try await RankerTraining.rankingExamples(items: Self.world.items, events: Self.world.events, configuration: configuration,
                                                         holdout: 30 * 86_400)
        }
    }
}
