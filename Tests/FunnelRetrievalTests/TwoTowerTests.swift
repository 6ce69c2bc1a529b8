import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTensor
import FunnelTestSupport
import Testing

@Suite struct TwoTowerTests {
    static func setup(_ movieLens: MovieLens100K) -> (LeaveLastOutSplit, FeatureTable, FeatureTable, [(user: Int32, item: Int32)]) {
        let split = LeaveLastOutSplit(movieLens.ratings.map { .init(user: $0.user, item: $0.item, timestamp: $0.timestamp) },
                                      userCount: movieLens.users.count)
        return (split, movieLens.userFeatures(), movieLens.itemFeatures(), split.train.map { ($0.user, $0.item) })
    }

    /// On MovieLens-100K, leave-last-out with full ranking, the two-tower model must beat
    /// popularity clearly on HR@10, and on HR@50 (Recall@50 for one held-out item).
    @Test(.enabled(if: TestData.movieLens100K != nil, "MovieLens-100K \(TestData.missingMessage)"))
    func beatsPopularityOnMovieLens() throws {
        let movieLens = try MovieLens100K.load(from: TestData.movieLens100K!)
        #expect(movieLens.ratings.count == 100_000 && movieLens.users.count == 943 && movieLens.items.count == 1682)
        let (split, users, items, pairs) = Self.setup(movieLens)
        let seen = split.trainItems()
        let model = TwoTower(.init(user: .init(features: users), item: .init(features: items)))
        TwoTowerTraining.fit(model, pairs: pairs, users: users, items: items,
                             configuration: TrainingConfiguration(epochs: 20, batchSize: 1024, learningRate: 3e-3, patience: 3)) {
            TwoTowerTraining.evaluate(model, users: users, items: items, targets: split.validation, excluded: seen, ks: [10]).hitRate(at: 10)
        }
        var excluded = seen
        for u in 0..<split.userCount { if let v = split.validation[u] { excluded[u].insert(v) } }
        let twoTower = TwoTowerTraining.evaluate(model, users: users, items: items, targets: split.test, excluded: excluded)
        let popularity = Popularity(items: pairs.map(\.item), itemCount: items.count).evaluate(targets: split.test, excluded: excluded)
        print("MovieLens-100K test: two-tower \(twoTower); popularity \(popularity)")
        #expect(twoTower.hitRate(at: 10) > popularity.hitRate(at: 10) * 1.25, "two-tower \(twoTower) vs popularity \(popularity)")
        #expect(twoTower.hitRate(at: 50) > popularity.hitRate(at: 50))
    }

    /// In-batch negatives are drawn by popularity; without the logQ correction the model learns
    /// to push popular items down, and HR@10 on MovieLens-100K falls far below the corrected model's.
    @Test(.enabled(if: TestData.movieLens100K != nil, "MovieLens-100K \(TestData.missingMessage)"))
    func logQCorrectionHelps() throws {
        let movieLens = try MovieLens100K.load(from: TestData.movieLens100K!)
        let (split, users, items, pairs) = Self.setup(movieLens)
        let seen = split.trainItems()
        func validationHitRate(correction: Bool) -> Double {
            var configuration = TwoTower.Configuration(user: .init(features: users), item: .init(features: items))
            configuration.logQCorrection = correction
            let model = TwoTower(configuration)
            let history = TwoTowerTraining.fit(model, pairs: pairs, users: users, items: items,
                                               configuration: TrainingConfiguration(epochs: 8, batchSize: 1024, learningRate: 3e-3, patience: 2)) {
                TwoTowerTraining.evaluate(model, users: users, items: items, targets: split.validation, excluded: seen, ks: [10]).hitRate(at: 10)
            }
            return history.bestScore ?? 0
        }
        let corrected = validationHitRate(correction: true), uncorrected = validationHitRate(correction: false)
        #expect(corrected > 1.5 * uncorrected, "HR@10 with logQ correction \(corrected), without \(uncorrected)")
    }

    /// The feed computes user vectors through the forward-only path: the training graph's
    /// vectors, within 1e-5, for entities with and without bags.
    @Test func forwardPathIsTheGraphs() {
        var generator = SeededGenerator(seed: 12)
        let bags: [[Int32]] = [[1, 2], [], [0, 3, 4], [2]]
        let users = FeatureTable(fieldCount: 2, ids: [0, 5, 1, 6, 2, 7, 3, 5], vocabularySize: 8, bags: bags, bagVocabularySize: 5)
        let items = FeatureTable(fieldCount: 1, ids: [0, 1, 2], vocabularySize: 3)
        let model = TwoTower(.init(user: .init(features: users), item: .init(features: items)))
        for (_, parameter) in model.namedParameters {
            parameter.value = .randomNormal(shape: parameter.shape, standardDeviation: 0.3, generator: &generator)
        }
        for (table, tower) in [(users, model.userTower), (items, model.itemTower)] {
            let batch = table.batch(0..<Int32(table.count))
            let expected = tower(batch, in: Graph(mode: .inference)).l2Normalized().value.scalars
            let forward = Workspace.borrow { workspace in
                let vectors = tower.forward(batch, in: workspace)
                vectors.normalizeRows()
                return vectors.scalars
            }
            let worst = zip(forward, expected).map { abs($0 - $1) }.max()!
            #expect(forward.count == expected.count && worst <= 1e-5, "largest difference \(worst)")
        }
    }
}
