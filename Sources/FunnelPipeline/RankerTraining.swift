import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelStages
import FunnelTensor

/// Trains the configured ranker (`[pipeline] ranker`, through `StageRegistry`) from logged
/// exposures. The most recent `trainingExposures` exposures whose day of follow-up the log
/// already covers are the examples (an exposure of the last day may still be clicked), labelled
/// for every objective by what the user did with the item within a day of seeing it
/// (`ExposureOutcomes`). Their features come from the events before them only: the channels
/// rebuilt as of the first of them, the statistics counted anew every `statisticsRefresh`, the
/// exposure's own time and context; so no label leaks into a feature. The last fifth, in time
/// order, validates (or a last span, `holdout`).
public enum RankerTraining {
    public struct Outcome: Sendable {
        public var trained: StageRegistry.TrainedRanker
        /// The configured pre-ranker, trained on the same examples, when it is a trained kind.
        public var preRanker: StageRegistry.TrainedRanker?
        public var examples: Int
        public var positives: Int
        /// The validation AUC of reciprocal-rank fusion, the order served without a ranker.
        public var fusionAUC: Double
        /// What building the examples left out (`RankingExamples.skipped`).
        public var skipped: [String: Int] = [:]
        public var ranker: any Ranker { trained.ranker }
        public var report: TrainingReport { trained.report }
    }

    /// How long after an exposure an action still counts as its outcome.
    static let labelWindow: TimeInterval = 86_400
    /// How often, in the examples' time, their statistics are counted anew: each example's
    /// item, author, user and interest features are as of the start of its six hours, as a
    /// server that rebuilds its pipeline every few hours would have served them.
    public static let statisticsRefresh: TimeInterval = 6 * 3_600

    /// The exposures the ranker trains on, oldest first: the latest `trainingExposures` whose
    /// day of follow-up is logged. The first one's time is the cutoff before which features
    /// (and the two-tower model the ranker is trained with) may look. A log without exposures
    /// gives its latest positive actions instead (`PositiveOnlyTraining`), which
    /// `rankingExamples` turns into exposures with drawn negatives.
    public static func examples(_ events: [Event], configuration: PipelineConfiguration) throws -> ArraySlice<Event> {
        guard let end = events.lazy.map(\.timestamp).max() else { throw PipelineError("no events to train the ranker on") }
        if isPositiveOnly(events) {
            let positives = events.filter { ExposureOutcomes.clickTypes.contains($0.type) }.sorted { $0.timestamp < $1.timestamp }
            let settings = configuration.positiveOnly
            let anchors = positives.suffix(min(configuration.trainingExposures / (1 + settings.negatives), Int(settings.share * Double(positives.count))))
            guard anchors.count >= 20 else {
                throw PipelineError("no logged exposures, and \(positives.count) positive actions: too few to train the ranker on drawn negatives")
            }
            return anchors
        }
        let horizon = end.addingTimeInterval(-labelWindow)
        let exposures = events.filter { $0.type == .exposure && $0.timestamp <= horizon }.sorted { $0.timestamp < $1.timestamp }
            .suffix(configuration.trainingExposures)
        guard !exposures.isEmpty else {
            throw PipelineError("no logged exposures older than a day to train the ranker on: serve feeds (or simulate) first")
        }
        return exposures
    }

    /// Whether the log holds positive actions but no exposure at all.
    static func isPositiveOnly(_ events: [Event]) -> Bool { !events.contains { $0.type == .exposure } }

    /// `twoTower`: the two-tower model served beside the other channels (trained on events
    /// before the cutoff), so that the ranker learns its channel's features too.
    public static func train(items: [Item], users: [User] = [], events: [Event], configuration: PipelineConfiguration,
                             twoTower: (model: TwoTower, features: TwoTowerFeatures)? = nil,
                             registry: StageRegistry = .standard) async throws -> Outcome {
        let kind = try registry.ranker(named: configuration.ranker)
        guard let train = kind.train else {
            throw PipelineError("the \(kind.name) ranker needs no training; name a trained one in pipeline.ranker "
                + "(\(registry.rankers.values.filter(\.isTrainable).map(\.name).sorted().joined(separator: ", ")))")
        }
        let examples = try await rankingExamples(items: items, users: users, events: events, configuration: configuration, twoTower: twoTower,
                                                 registry: registry)
        let trained = try train(examples, configuration.models[kind.name])
        var preRanker: StageRegistry.TrainedRanker?
        if let name = configuration.preRanker, name != kind.name, let trainPreRanker = try registry.ranker(named: name).train {
            var taught = examples
            taught.teacher = teacherPredictions(trained.ranker, examples)
            preRanker = try trainPreRanker(taught, configuration.models[name])
        }
        let clicks = examples.labels[.click]!
        let fusion = ReciprocalRankFusion(features: examples.featureNames).predict(examples.validationBatch).column(.click)!
        let fusionAUC = Metrics.auc(scores: fusion.map(Float.init), labels: Array(clicks[examples.validationRows]))
        return Outcome(trained: trained, preRanker: preRanker, examples: examples.count, positives: clicks.reduce(0) { $0 + Int($1) },
                       fusionAUC: fusionAUC, skipped: examples.skipped)
    }

    /// `ranker`'s predictions for every row of `examples`, per objective: what a pre-ranker
    /// trained beside it may learn from (`RankingExamples.teacher`).
    static func teacherPredictions(_ ranker: any Ranker, _ examples: RankingExamples) -> [Objective: [Float]] {
        let columns = ranker.featureNames.map { examples.featureNames.firstIndex(of: $0)! }
        var teacher: [Objective: [Float]] = [:]
        let chunk = 8_192
        for start in stride(from: 0, to: examples.count, by: chunk) {
            let rows = start..<min(examples.count, start + chunk)
            let slice = Array(examples.features[(rows.lowerBound * examples.width)..<(rows.upperBound * examples.width)])
            let predictions = ranker.predict(RankingBatch(width: examples.width, features: slice, columns: columns))
            for objective in predictions.objectives { teacher[objective, default: []] += predictions.column(objective)!.map(Float.init) }
        }
        return teacher
    }

    /// The examples every ranker trains on: the features of each exposure (the channels' ranks
    /// as of the cutoff, the statistics as of the start of its `statisticsRefresh` period), and
    /// its outcome for every objective. `holdout`: validate on the exposures of that last span
    /// of the examples rather than on their last fifth.
    public static func rankingExamples(items: [Item], users: [User] = [], events: [Event], configuration: PipelineConfiguration,
                                       twoTower: (model: TwoTower, features: TwoTowerFeatures)? = nil,
                                       holdout: TimeInterval? = nil,
                                       registry: StageRegistry = .standard) async throws -> RankingExamples {
        let anchors = try examples(events, configuration: configuration)
        let cutoff = anchors.first!.timestamp
        let history = events.filter { $0.timestamp < cutoff }
        let pipeline = try FeedPipeline(version: "training", configuration: configuration, items: items, users: users, events: history, now: cutoff,
                                        ranker: nil, twoTower: twoTower, registry: registry)

        let outcomes = ExposureOutcomes(events, from: cutoff, window: labelWindow)
        // Each user's candidates as the channels saw them at the cutoff, on every core.
        let users = Array(Set(anchors.map(\.userID)))
        let retriever = pipeline.retriever
        let indexes = pipeline.indexes
        var provenance: [String: [String: MultiChannelRetriever.Candidate]] = [:]
        var candidateItems: [String: [String]] = [:]
        var recentRows: [String: [Int32]] = [:]
        await withTaskGroup(of: (String, [MultiChannelRetriever.Candidate], [Int32]).self) { group in
            var next = 0
            func schedule() {
                guard next < users.count else { return }
                let user = users[next]
                next += 1
                group.addTask {
                    let context = indexes.context(for: user, now: cutoff, location: nil)
                    let result = await retriever.retrieve(for: context)
                    return (user, result.candidates, context.recentRows)
                }
            }
            for _ in 0..<8 { schedule() }
            for await (user, candidates, rows) in group {
                provenance[user] = Dictionary(candidates.map { ($0.item, $0) }, uniquingKeysWith: { first, _ in first })
                candidateItems[user] = candidates.map(\.item)
                recentRows[user] = rows
                schedule()
            }
        }
        let exposures: [Event]
        if isPositiveOnly(events) {
            let catalogue = items.map(\.id)
            let row = Dictionary(catalogue.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            var counts = [Double](repeating: 0, count: catalogue.count)
            for event in history where ExposureOutcomes.clickTypes.contains(event.type) { if let r = row[event.itemID] { counts[r] += 1 } }
            exposures = configuration.positiveOnly.exposures(for: anchors, candidates: { candidateItems[$0] ?? [] },
                                                             catalogue: catalogue, counts: counts)
        } else {
            exposures = Array(anchors)
        }

        // The statistics of each refresh period, counted from the events before it, on every core.
        let periods = Int((exposures.last!.timestamp.timeIntervalSince(cutoff) / statisticsRefresh).rounded(.down)) + 1
        let names = pipeline.features.names
        var snapshots = [RankingFeatures?](repeating: nil, count: periods)
        snapshots[0] = pipeline.features
        await withTaskGroup(of: (Int, RankingFeatures).self) { group in
            for period in 1..<max(1, periods) {
                group.addTask {
                    let start = cutoff.addingTimeInterval(Double(period) * statisticsRefresh)
                    return (period, RankingFeatures(spec: configuration.features, channels: pipeline.channels.map(\.name),
                                                    catalogue: pipeline.catalogue, space: indexes.items, events: events, now: start,
                                                    users: pipeline.userRecords))
                }
            }
            for await (period, snapshot) in group { snapshots[period] = snapshot }
        }
        let sequences = configuration.features.has(.sequence) ? UserSequences(events, lastN: indexes.lastN) : nil
        // Every positive action of the log, so that each example reads the long history as it
        // stood just before its exposure.
        let longHistory = configuration.features.has(.categorySequence) ? LongHistoryIndex(capacity: .max, types: ExposureOutcomes.clickTypes, items: indexes.items) : nil
        longHistory?.record(events)
        let longHistoryLength = configuration.features.longHistoryLength
        var features: [Float] = []
        var labels = Dictionary(uniqueKeysWithValues: Objective.allCases.map { ($0, [Float]()) })
        var skippedHistory = 0, skippedLongHistory = 0
        features.reserveCapacity(exposures.count * names.count)
        for exposure in exposures {
            let candidate = provenance[exposure.userID]?[exposure.itemID] ?? .init(item: exposure.itemID, provenance: [])
            let period = min(periods - 1, Int(exposure.timestamp.timeIntervalSince(cutoff) / statisticsRefresh))
            let snapshot = snapshots[period]!
            let request = snapshot.request(user: exposure.userID, now: exposure.timestamp, device: exposure.context.device,
                                           city: exposure.context.city, recentRows: recentRows[exposure.userID] ?? [],
                                           history: sequences?.historyRows(of: exposure.userID, before: exposure.timestamp) ?? [],
                                           longHistory: longHistory?.actions(of: exposure.userID, before: exposure.timestamp.timeIntervalSince1970,
                                                                             limit: longHistoryLength) ?? [])
            skippedHistory += request.skippedHistory
            skippedLongHistory += request.skippedLongHistory
            pipeline.features(of: candidate, with: snapshot, request: request, to: &features)
            for (objective, label) in outcomes.labels(of: exposure) { labels[objective]!.append(label) }
        }
        let window = TrainingWindow(from: events.lazy.map(\.timestamp).min()!, until: exposures.last!.timestamp.addingTimeInterval(labelWindow))
        let validationStart = holdout.map { span in
            let from = exposures.last!.timestamp.addingTimeInterval(-span)
            return exposures.firstIndex { $0.timestamp >= from }! - exposures.startIndex
        }
        var examples = try RankingExamples(featureNames: names, features: features, labels: labels,
                                           users: exposures.map(\.userID), validationStart: validationStart, window: window)
        if sequences != nil { examples.skipped["history.skipped"] = skippedHistory }
        if longHistory != nil { examples.skipped["category-sequence.skipped"] = skippedLongHistory }
        return examples
    }

    /// Each user's actions as the LastN index keeps them, in time order, so that an example's
    /// behaviour sequence is what the index held just before its exposure: the same actions a
    /// feed served at that moment would have read.
    struct UserSequences {
        private var actions: [String: [(time: Date, type: EventType, row: Int32)]] = [:]
        private let capacity: Int

        init(_ events: [Event], lastN: LastNIndex) {
            capacity = lastN.capacity
            for event in events where lastN.types.contains(event.type) {
                actions[event.userID, default: []].append((event.timestamp, event.type, lastN.items.lookup(event.itemID) ?? -1))
            }
            for user in actions.keys { actions[user]!.sort { $0.time < $1.time } }
        }

        /// The rows of the user's positive actions among their last `capacity` actions strictly
        /// before `moment`, newest first.
        func historyRows(of user: String, before moment: Date) -> [Int32] {
            guard let all = actions[user] else { return [] }
            var low = 0, high = all.count
            while low < high {
                let mid = (low + high) / 2
                if all[mid].time < moment { low = mid + 1 } else { high = mid }
            }
            let last = all[max(0, low - capacity)..<low].reversed()
            return RankingFeatures.historyRows(types: last.lazy.map(\.type), rows: last.lazy.map(\.row))
        }
    }
}
