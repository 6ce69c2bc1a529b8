import Foundation
import FunnelData
@testable import FunnelPipeline
import FunnelStages
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

    /// Each example's behaviour sequence is what the LastN index held just before its exposure
    /// (its last 50 actions, exposures and views aside), the positive ones, newest first: no
    /// action at or after the exposure, none of another user.
    @Test func behaviourSequencesAreTheLastActionsBeforeEachExposure() async throws {
        let (items, events) = Self.world
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 5_000
        configuration.features.groups += [.ids, .sequence]
        configuration.features.sequenceLength = 5
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        let exposures = Array(try RankerTraining.examples(events, configuration: configuration))
        let kept = Set(EventType.allCases).subtracting([.exposure, .view])
        let positive: Set<EventType> = [.click, .like, .collect, .share, .comment, .purchase]
        let first = examples.featureNames.firstIndex(of: "id:history:item#0")!
        #expect(examples.featureNames[first + 1] == "id:history:category#0" && examples.featureNames.last == "id:history:category#4")
        let byUser = Dictionary(grouping: events.filter { kept.contains($0.type) }, by: \.userID)
        var lengths: [Int] = []
        for k in stride(from: 0, to: exposures.count, by: 41) {
            let exposure = exposures[k]
            let before = (byUser[exposure.userID] ?? []).filter { $0.timestamp < exposure.timestamp }.sorted { $0.timestamp > $1.timestamp }.prefix(50)
            let expected = before.filter { positive.contains($0.type) }.prefix(5).map { RankingFeatures.idCode($0.itemID) }
            let actual = (0..<5).map { examples.features[k * examples.width + first + 2 * $0] }
            #expect(actual == expected + Array(repeating: 0, count: 5 - expected.count), "example \(k)")
            lengths.append(expected.count)
        }
        #expect(lengths.filter { $0 > 0 }.count > lengths.count / 2 && lengths.contains(5), "\(lengths)")
        #expect(examples.skipped["history.skipped"] == 0)
    }

    /// Each example's category sequence is searched in the long history as it stood just before
    /// its exposure (the user's last `longHistoryLength` positive actions): the newest ones on
    /// items of the exposed item's leaf category, with their age buckets.
    @Test func categorySequencesAreSearchedInTheLongHistoryBeforeEachExposure() async throws {
        let (items, events) = Self.world
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 5_000
        configuration.features.groups += [.ids, .categorySequence]
        (configuration.features.categorySequenceLength, configuration.features.longHistoryLength) = (4, 40)
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        let exposures = Array(try RankerTraining.examples(events, configuration: configuration))
        let positive: Set<EventType> = [.click, .like, .collect, .share, .comment, .purchase]
        let leaf = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.categories.first) })
        let first = examples.featureNames.firstIndex(of: "id:category-sequence:item#0")!
        #expect(examples.featureNames[first + 1] == "id:category-sequence:age#0" && examples.featureNames.last == "id:category-sequence:age#3")
        // Each user's positive actions in time order, ties in the log's order.
        let byUser = Dictionary(grouping: events.enumerated().filter { positive.contains($0.element.type) }, by: \.element.userID)
            .mapValues { $0.sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element) }
        var lengths: [Int] = []
        for k in stride(from: 0, to: exposures.count, by: 37) {
            let exposure = exposures[k]
            let before = (byUser[exposure.userID] ?? []).filter { $0.timestamp < exposure.timestamp }.suffix(40).reversed()
            let hits = before.filter { leaf[$0.itemID] != nil && leaf[$0.itemID]! == leaf[exposure.itemID]! }.prefix(4)
            let expected = hits.flatMap { [RankingFeatures.idCode($0.itemID),
                                           RankingFeatures.ageBucket(seconds: exposure.timestamp.timeIntervalSince($0.timestamp))] }
            let actual = Array(examples.features[(k * examples.width + first)..<(k * examples.width + first + 8)])
            #expect(actual == expected + Array(repeating: 0, count: 8 - expected.count), "example \(k)")
            lengths.append(hits.count)
        }
        #expect(lengths.filter { $0 > 0 }.count > lengths.count / 6 && lengths.contains(4), "\(lengths)")
        #expect(examples.skipped["category-sequence.skipped"] == 0)
    }

    /// The pre-ranker's recall of the ranker's best 50 (every candidate scored): the ranker as
    /// its own pre-ranker keeps all of them at any cut of 50 or more; reciprocal-rank fusion
    /// keeps more the more it keeps, and all of them once it keeps every candidate.
    @Test func preRankRecallOfTheRankersBest() async throws {
        let (items, events) = Self.world
        var configuration = PipelineConfiguration()
        (configuration.trainingExposures, configuration.ranker, configuration.preRanker) = (5_000, "logistic-regression", nil)
        let ranker = try await RankerTraining.train(items: items, events: events, configuration: configuration).ranker
        let now = events.map(\.timestamp).max()!
        configuration.preRanker = "logistic-regression"
        let itself = try FeedPipeline(version: "t", configuration: configuration, items: items, events: events, now: now, ranker: ranker, preRanker: ranker)
        configuration.preRanker = "reciprocal-rank-fusion"
        let fusion = try FeedPipeline(version: "t", configuration: configuration, items: items, events: events, now: now, ranker: ranker)
        var users = 0
        for user in Array(Set(events.map(\.userID))).sorted().prefix(40) {
            guard let same = await itself.preRankRecall(for: user, now: now, cuts: [50, 120]),
                  let fused = await fusion.preRankRecall(for: user, now: now, cuts: [20, 60, 150, 100_000]) else { continue }
            users += 1
            #expect(same == [1, 1], "\(user): \(same)")
            #expect(zip(fused, fused.dropFirst()).allSatisfy { $0 <= $1 } && fused.last == 1 && fused[0] <= 0.4, "\(user): \(fused)")
        }
        #expect(users >= 20)
    }

    /// The three-tower pre-ranker trained beside the multi-task ranker learns from its
    /// predictions (every objective distilled) and keeps more of its best 50 than the logistic
    /// regression pre-ranker at the same cut.
    @Test func threeTowerPreRankerLearnsTheRankersOrder() async throws {
        let (items, events) = Self.world
        var configuration = PipelineConfiguration()
        configuration.trainingExposures = 20_000
        configuration.models["mmoe", default: ModelSettings()].epochs = 4
        var recall: [String: [Double]] = [:]
        for preRanker in ["three-tower", "logistic-regression"] {
            configuration.preRanker = preRanker
            let outcome = try await RankerTraining.train(items: items, events: events, configuration: configuration)
            let trained = try #require(outcome.preRanker)
            #expect(trained.ranker.name == preRanker)
            if preRanker == "three-tower" {
                #expect(trained.report.metrics["distilled.objectives"] == Double(outcome.ranker.objectives.count), "\(trained.report.metrics)")
            }
            let now = events.map(\.timestamp).max()!
            let pipeline = try FeedPipeline(version: "t", configuration: configuration, items: items, events: events, now: now,
                                            ranker: outcome.ranker, preRanker: trained.ranker)
            var sums = [0.0, 0.0], users = 0
            for user in Array(Set(events.map(\.userID))).sorted().prefix(60) {
                guard let kept = await pipeline.preRankRecall(for: user, now: now, cuts: [75, 150]) else { continue }
                users += 1
                sums = zip(sums, kept).map { $0 + $1 }
            }
            recall[preRanker] = sums.map { $0 / Double(max(users, 1)) }
        }
        #expect(zip(recall["three-tower"]!, recall["logistic-regression"]!).allSatisfy { $0 > $1 }, "recall at cuts 75, 150: \(recall)")
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

    /// A log of positive actions alone: its latest `share` of them become examples, each its
    /// item (a click) then `negatives` drawn items, and every sampler draws where it says.
    @Test(arguments: PositiveOnlyTraining.Sampler.allCases)
    func positiveOnlyLogsTrainOnDrawnNegatives(sampler: PositiveOnlyTraining.Sampler) async throws {
        let (items, all) = Self.world
        let events = all.filter { $0.type != .exposure }
        let positives = events.filter { [.click, .like, .collect, .share, .comment, .purchase].contains($0.type) }.count
        var configuration = PipelineConfiguration()
        (configuration.positiveOnly.sampler, configuration.positiveOnly.negatives, configuration.positiveOnly.share) = (sampler, 3, 0.1)
        let anchors = try RankerTraining.examples(events, configuration: configuration)
        #expect(anchors.count == Int(0.1 * Double(positives)))
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        #expect(examples.count == 4 * anchors.count)
        let clicks = examples.labels[.click]!
        for (k, anchor) in anchors.enumerated() {
            #expect(clicks[4 * k] == 1 && examples.users[4 * k] == anchor.userID)
            #expect((1...3).allSatisfy { examples.users[4 * k + $0] == anchor.userID })
        }
        // Drawn negatives are mostly not taken; the candidates sampler's come from what the
        // channels retrieved: each was proposed by at least one channel.
        let negativeClicks = (0..<anchors.count).flatMap { k in (1...3).map { clicks[4 * k + $0] } }
        #expect(negativeClicks.reduce(0, +) < Float(negativeClicks.count) * 0.05)
        let channelCount = examples.featureNames.firstIndex(of: "channel-count")!
        let retrieved = (0..<anchors.count).flatMap { k in (1...3).map { 4 * k + $0 } }.filter { row in
            examples.features[row * examples.width + channelCount] > 0
        }
        if sampler == .candidates {
            #expect(retrieved.count == negativeClicks.count)
        } else {
            #expect(retrieved.count < negativeClicks.count)
        }
        // The trained default ranker learns something from them.
        let outcome = try await RankerTraining.train(items: items, events: events, configuration: configuration)
        #expect(outcome.report.metrics["click.auc"].map { $0 > 0.6 } == true, "\(outcome.report.metrics)")
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
