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

    /// The examples of a tiny log, by hand: each exposure old enough to have its day of
    /// follow-up logged, in time order, labelled by what its user did with its item within a
    /// day of it; the latest `trainingExposures` of them.
    @Test func examplesOfATinyLogByHand() async throws {
        let t0 = Date(timeIntervalSince1970: 1_767_225_600)
        func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }
        let items = (0..<3).map { Item(id: "i\($0)", categories: ["c"], createdAt: at(-86_400)) }
        let events = [
            Event(userID: "u", itemID: "i0", type: .exposure, timestamp: at(0)),
            Event(userID: "u", itemID: "i0", type: .click, timestamp: at(60)),          // clicked within the day
            Event(userID: "u", itemID: "i1", type: .exposure, timestamp: at(100)),       // never clicked
            Event(userID: "v", itemID: "i2", type: .exposure, timestamp: at(200)),
            Event(userID: "v", itemID: "i2", type: .click, timestamp: at(2 * 86_400)),   // clicked two days later: not its outcome
            Event(userID: "v", itemID: "i0", type: .exposure, timestamp: at(300)),
            Event(userID: "v", itemID: "i0", type: .like, timestamp: at(400)),           // liked: engaged, so a click too
            Event(userID: "u", itemID: "i2", type: .exposure, timestamp: at(2.5 * 86_400)),  // its day is not logged yet
            Event(userID: "w", itemID: "i1", type: .click, timestamp: at(3 * 86_400)),
        ]
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 100
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        #expect(examples.users == ["u", "u", "v", "v"])
        #expect(examples.labels[.click] == [1, 0, 0, 1] && examples.labels[.like] == [0, 0, 0, 1])
        configuration.trainingExposures = 2
        let latest = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        #expect(latest.users == ["v", "v"] && latest.labels[.like] == [0, 1])
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
