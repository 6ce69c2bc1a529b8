import FunnelData
import FunnelEval
import FunnelTensor

extension BaselineEvaluation {
    /// The two-tower model trained with `objective` on the training histories, early-stopped on
    /// the validation items' full-ranking HR@10.
    ///
    /// The user tower reads the user's id and, as a bag, their last `historyLength` items
    /// before the example, so each training example is (the history before an item, that
    /// item), and the test user is their whole history with the validation item. The item
    /// tower reads the item's id and `itemBags` (content such as genres) when given.
    public static func twoTower(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                                itemBags: (bags: [[Int32]], vocabularySize: Int)? = nil,
                                objective: TwoTowerObjective = TwoTowerObjective(), temperature: Float = 0.1,
                                training: TrainingConfiguration = TrainingConfiguration(epochs: 30, batchSize: 1024, learningRate: 3e-3, patience: 3),
                                historyLength: Int = 50, negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform,
                                seed: UInt64 = 42, onEvent: (TrainingEvent) -> Void = { _ in }) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let sequences = split.histories(includingValidation: false)
        // Rows: one per training example, then each user for validation, then for test.
        var ids: [Int32] = [], bags: [[Int32]] = [], pairs: [(user: Int32, item: Int32)] = []
        for (u, sequence) in sequences.enumerated() {
            for t in sequence.indices {
                pairs.append((Int32(ids.count), sequence[t]))
                ids.append(Int32(u))
                bags.append(Array(sequence[max(0, t - historyLength)..<t]))
            }
        }
        let validationBase = Int32(ids.count)
        for (u, sequence) in sequences.enumerated() {
            ids.append(Int32(u))
            bags.append(Array(sequence.suffix(historyLength)))
        }
        let testBase = Int32(ids.count)
        for (u, sequence) in split.histories(includingValidation: true).enumerated() {
            ids.append(Int32(u))
            bags.append(Array(sequence.suffix(historyLength)))
        }
        let users = FeatureTable(fieldCount: 1, ids: ids, vocabularySize: userCount, bags: bags, bagVocabularySize: itemCount)
        let items = FeatureTable(fieldCount: 1, ids: (0..<Int32(itemCount)).map { $0 }, vocabularySize: itemCount,
                                 bags: itemBags?.bags ?? [], bagVocabularySize: itemBags?.vocabularySize ?? 0)
        var configuration = TwoTower.Configuration(user: .init(features: users), item: .init(features: items))
        configuration.seed = training.seed
        configuration.temperature = temperature
        let model = TwoTower(configuration)
        let seen = split.trainItems()
        let sorted = seen.map { $0.sorted() }
        TwoTowerTraining.fit(model, pairs: pairs, users: users, items: items, configuration: training, objective: objective,
                             taken: objective.negatives == .hard ? ids.map { sorted[Int($0)] } : nil, validate: {
            let vectors = TwoTowerTraining.itemVectors(model, items: items)
            return FullRanking.evaluate(targets: split.validation, excluded: seen, itemCount: itemCount, ks: [10]) { rows in
                TwoTowerTraining.scores(model, users: users, userRows: rows.map { validationBase + $0 }, itemVectors: vectors)
            }.hitRate(at: 10)
        }, onEvent: onEvent)
        let vectors = TwoTowerTraining.itemVectors(model, items: items)
        return evaluate(dataset, model: "two-tower (\(objective.name))", split: split, itemCount: itemCount,
                        interactions: interactions.count, negatives: negatives, sampling: sampling, seed: seed) { rows in
            TwoTowerTraining.scores(model, users: users, userRows: rows.map { testBase + $0 }, itemVectors: vectors)
        }
    }
}
