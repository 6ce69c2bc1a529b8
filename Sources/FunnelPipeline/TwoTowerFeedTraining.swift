import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTensor

/// Trains the feed's two-tower model from the event log. Each positive action (click, like,
/// collect, share, comment, purchase) on a catalogue item is one example: the user as they were
/// just before it (their id and the items of their previous positive actions) paired with the
/// item, trained with `objective` (by default the in-batch softmax with logQ correction). The last 5% of the examples in
/// time validate: Recall@50 of the item acted on among every item the user had not acted on
/// before, beside the popularity ranking; training stops when it no longer improves.
public enum TwoTowerFeedTraining {
    public struct Report: Codable, Sendable {
        public var examples: Int
        public var validationRecall50: Double
        public var popularityRecall50: Double
        public var epochs: Int
    }

    public struct Outcome: Sendable {
        public var model: TwoTower
        public var features: TwoTowerFeatures
        public var report: Report
    }

    /// `before`: only events earlier than this moment (the ranker trains on exposures after it,
    /// so the model's channel ranks are honest features there).
    public static func train(items: [Item], events: [Event], before cutoff: Date? = nil, maximumExamples: Int = 300_000,
                             objective: TwoTowerObjective = TwoTowerObjective(),
                             training: TrainingConfiguration = TrainingConfiguration(epochs: 5, batchSize: 1024, learningRate: 3e-3, patience: 1),
                             onEvent: (TrainingEvent) -> Void = { _ in }) throws -> Outcome {
        let past = events.filter { event in cutoff.map { event.timestamp < $0 } ?? true }.sorted { $0.timestamp < $1.timestamp }
        let features = TwoTowerFeatures(items: items, events: past)
        let itemRow = Dictionary(items.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        let weights = InterestWeights.standard
        let isExample = { (event: Event) in weights.weight(of: event.type) > 0 && event.type != .followAuthor && itemRow[event.itemID] != nil }
        let total = past.lazy.filter(isExample).count
        guard total >= 100 else { throw PipelineError("two-tower training: \(total) positive actions on catalogue items, at least 100 needed") }

        // Walk the log in time order, each user's history growing; record the last examples only.
        var histories: [String: [String]] = [:]
        var users: [(user: String, history: [String])] = [], targets: [Int32] = []
        var seen = 0
        for event in past where isExample(event) {
            let history = histories[event.userID] ?? []
            if seen >= total - maximumExamples {
                users.append((event.userID, history))
                targets.append(itemRow[event.itemID]!)
            }
            seen += 1
            histories[event.userID] = Array(([event.itemID] + history).prefix(features.historyLength))
        }

        let validationCount = max(1, min(2_000, users.count / 20))
        let trainCount = users.count - validationCount
        let userTable = features.userTable(Array(users[..<trainCount]))
        let validationUsers = features.userTable(Array(users[trainCount...]))
        let itemTable = features.itemTable(items)
        let validationTargets = targets[trainCount...].map { Optional($0) }
        let validationExcluded = users[trainCount...].map { Set($0.history.compactMap { itemRow[$0] }) }

        let model = TwoTower(TwoTower.Configuration(user: features.userTower, item: features.itemTower))
        func recall() -> Double {
            let vectors = TwoTowerTraining.itemVectors(model, items: itemTable)
            return FullRanking.evaluate(targets: validationTargets, excluded: validationExcluded, itemCount: items.count, ks: [50]) {
                TwoTowerTraining.scores(model, users: validationUsers, userRows: $0, itemVectors: vectors)
            }.hitRate(at: 50)
        }
        let pairs = (0..<trainCount).map { (user: Int32($0), item: targets[$0]) }
        let history = TwoTowerTraining.fit(model, pairs: pairs, users: userTable, items: itemTable, configuration: training,
                                           objective: objective, taken: objective.negatives == .hard ? taken(users[..<trainCount]) : nil,
                                           validate: recall, onEvent: onEvent)
        let popularity = Popularity(items: Array(targets[..<trainCount]), itemCount: items.count)
            .evaluate(targets: validationTargets, excluded: validationExcluded, ks: [50]).hitRate(at: 50)
        /// Each example's recent items (its history), as item rows, sorted.
        func taken(_ examples: ArraySlice<(user: String, history: [String])>) -> [[Int32]] {
            examples.map { $0.history.compactMap { itemRow[$0] }.sorted() }
        }
        return Outcome(model: model, features: features,
                       report: Report(examples: users.count, validationRecall50: history.bestScore ?? recall(), popularityRecall50: popularity,
                                      epochs: history.epochs.count))
    }
}
