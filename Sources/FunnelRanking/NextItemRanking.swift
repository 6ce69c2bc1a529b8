import Foundation
import FunnelData
import FunnelEval
import FunnelTensor

/// Next-item ranking on sequences split leave-last-out (SASRec's protocol): a `DIN`-family
/// ranker trains on every position of each user's training sequence (the item there against
/// `negatives` items the user never took, drawn afresh each epoch, with the items before it as
/// the history), early-stops on the validation item, and ranks each user's test item, with the
/// training sequence and the validation item as history, against the sampled candidates.
public struct NextItemRanking {
    public struct Result: Codable, Sendable {
        public var pooling: DIN.Pooling
        public var seed: UInt64
        public var epochs: Int
        public var bestEpoch: Int
        public var seconds: Double
        public var examplesPerSecond: Double
        public var validationHR10: Double
        public var testHR10: Double
        public var testNDCG10: Double
    }

    public let split: LeaveLastOutSplit
    public let itemCount: Int
    /// Each user's training items in time order.
    let histories: [[Int32]]
    let seen: [Set<Int32>]
    /// Training positions: (user, index into their history).
    let positions: [(user: Int32, index: Int32)]

    public init(split: LeaveLastOutSplit, itemCount: Int) {
        (self.split, self.itemCount) = (split, itemCount)
        histories = split.histories(includingValidation: false)
        seen = split.trainItems()
        positions = histories.enumerated().flatMap { u, items in items.indices.map { (Int32(u), Int32($0)) } }
    }

    /// Trains a ranker and scores it on `test` (the test item first in each list, as
    /// `SampledRanking.candidates` makes them); `validation` lists are the validation item's.
    /// `negatives` per position: on Amazon Games DIN reached test HR@10 0.678 with one, 0.721
    /// with four.
    public func run(_ configuration: DIN.Configuration, training: TrainingConfiguration, negatives: Int = 4,
                    validation: [[Int32]?], test: [[Int32]?], onEvent: (TrainingEvent) -> Void = { _ in }) -> (model: DIN, result: Result) {
        precondition(negatives >= 1 && configuration.itemCount == itemCount, "NextItemRanking: at least one negative, and a model over \(itemCount) items")
        let model = DIN(configuration)
        var optimizer = Adam(learningRate: training.learningRate)
        var sampler = SeededGenerator(seed: training.seed &+ 1)
        let maxLength = configuration.maxLength
        let lengths = positions.map { min(Int($0.index), maxLength) }
        let start = Date()
        let history = Trainer(training).fit(model, exampleCount: positions.count, optimizer: &optimizer, loss: { graph, rows in
            var users: [Int32] = [], targets: [Int32] = [], sequences: [ArraySlice<Int32>] = [], labels: [Float] = []
            for row in rows {
                let (u, t) = (Int(positions[row].user), Int(positions[row].index))
                let items = histories[u], before = items[..<t]
                for k in 0...negatives {
                    users.append(Int32(u))
                    sequences.append(before)
                    labels.append(k == 0 ? 1 : 0)
                    targets.append(k == 0 ? items[t] : negative(for: u, &sampler))
                }
            }
            let batch = SequenceBatch(users: users, targets: targets, histories: sequences, maxLength: maxLength, padding: model.padding)
            return graph.binaryCrossEntropy(logits: model.logits(batch, in: graph), labels: labels)
        }, validate: {
            evaluate(model, validation, includingValidation: false).hitRate(at: 10)
        }, arrange: { order, generator in
            Self.bucketByLength(&order, lengths: lengths, batchSize: training.batchSize, using: &generator)
        }, onEvent: onEvent)
        let seconds = Date().timeIntervalSince(start)
        let summary = evaluate(model, test, includingValidation: true)
        let trainedSeconds = history.epochs.reduce(0) { $0 + $1.seconds }
        return (model, Result(pooling: configuration.pooling, seed: configuration.seed, epochs: history.epochs.count, bestEpoch: history.bestEpoch ?? 0,
                              seconds: seconds, examplesPerSecond: Double(positions.count * history.epochs.count) / max(trainedSeconds, 1e-9),
                              validationHR10: history.bestScore ?? 0, testHR10: summary.hitRate(at: 10), testNDCG10: summary.ndcg(at: 10)))
    }

    /// HR@10 and NDCG@10 of each user's first candidate among their list, the history being the
    /// training sequence (and the validation item when asked). Users are scored a few at a time
    /// in order of history length, so rows in one graph are padded little.
    public func evaluate(_ model: DIN, _ candidates: [[Int32]?], includingValidation: Bool, usersPerGraph: Int = 16) -> RankingMetrics.Summary {
        func history(_ u: Int) -> ArraySlice<Int32> {
            let items = histories[u]
            guard includingValidation, let v = split.validation[u] else { return items[...] }
            return (items + [v])[...]
        }
        let users = candidates.indices.filter { candidates[$0] != nil }
            .sorted { min(histories[$0].count, model.configuration.maxLength) < min(histories[$1].count, model.configuration.maxLength) }
        var scores = [[Float]](repeating: [], count: candidates.count)
        for start in stride(from: 0, to: users.count, by: usersPerGraph) {
            let group = users[start..<min(users.count, start + usersPerGraph)]
            var ids: [Int32] = [], targets: [Int32] = [], sequences: [ArraySlice<Int32>] = []
            for u in group {
                let sequence = history(u)
                for item in candidates[u]! {
                    ids.append(Int32(u))
                    targets.append(item)
                    sequences.append(sequence)
                }
            }
            let batch = SequenceBatch(users: ids, targets: targets, histories: sequences, maxLength: model.configuration.maxLength, padding: model.padding)
            let logits = model.logits(batch, in: Graph(mode: .inference)).value.scalars
            var offset = 0
            for u in group {
                let n = candidates[u]!.count
                scores[u] = Array(logits[offset..<(offset + n)])
                offset += n
            }
        }
        return SampledRanking.evaluate(candidates, ks: [10]) { user, _ in scores[Int(user)] }
    }

    /// A uniformly drawn item that `user` never took in training.
    private func negative(for user: Int, _ generator: inout SeededGenerator) -> Int32 {
        while true {
            let item = Int32(generator.nextInt(below: itemCount))
            if !seen[user].contains(item) { return item }
        }
    }

    /// Shuffles `order`, then sorts each run of 32 batches by length and shuffles the batches:
    /// every batch holds sequences of about one length (little padding) and batches still come in
    /// random order.
    static func bucketByLength(_ order: inout [Int], lengths: [Int], batchSize: Int, using generator: inout SeededGenerator) {
        order.shuffle(using: &generator)
        let run = batchSize * 32
        for start in stride(from: 0, to: order.count, by: run) {
            order[start..<min(order.count, start + run)].sort { lengths[$0] < lengths[$1] }
        }
        var batches = stride(from: 0, to: order.count, by: batchSize).map { order[$0..<min(order.count, $0 + batchSize)] }
        batches.shuffle(using: &generator)
        order = Array(batches.joined())
    }
}
