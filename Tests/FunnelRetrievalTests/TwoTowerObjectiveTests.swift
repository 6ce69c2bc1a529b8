import Foundation
import FunnelData
import FunnelTensor
@testable import FunnelRetrieval
import Testing

@Suite struct TwoTowerObjectiveTests {
    /// A user's positive seen again as another key is masked out of that user's row only.
    @Test func accidentalHitsAreMasked() {
        var negatives = TwoTowerNegatives(TwoTowerObjective(), targets: [3, 5, 3, 7], itemCount: 8, logQ: false, seed: 1)
        let keys = negatives.keys(targets: [3, 5, 3, 7])
        #expect(keys.items == [3, 5, 3, 7])
        let c = keys.correction!.scalars
        for i in 0..<4 {
            for j in 0..<4 {
                let masked = (i, j) == (0, 2) || (i, j) == (2, 0)
                #expect(c[i * 4 + j] == (masked ? -.infinity : 0), "row \(i), key \(j)")
            }
        }
        // Nothing to mask and no logQ: no correction at all.
        #expect(negatives.keys(targets: [1, 2, 3]).correction == nil)
    }

    /// With logQ, the listwise loss subtracts log of each key's expected count in the batch:
    /// batch size × the item's share of training positives for in-batch keys.
    @Test func logQIsTheExpectedCount() {
        let training: [Int32] = [0, 0, 0, 1, 2, 2, 2, 2, 2, 2]   // shares 0.3, 0.1, 0.6
        var negatives = TwoTowerNegatives(TwoTowerObjective(), targets: training, itemCount: 3, logQ: true, seed: 1)
        let c = negatives.keys(targets: [0, 1]).correction!.scalars
        let expected = [-log(2 * 0.3), -log(2 * 0.1)].map(Float.init)
        for i in 0..<2 { for j in 0..<2 { #expect(abs(c[i * 2 + j] - expected[j]) < 1e-6) } }
        // Pairwise and pointwise losses take no logQ: nothing to add here.
        var pairwise = TwoTowerNegatives(TwoTowerObjective(loss: .pairwiseLogistic), targets: training, itemCount: 3, logQ: true, seed: 1)
        #expect(pairwise.keys(targets: [0, 1]).correction == nil)
    }

    /// Popularity negatives are drawn ∝ count^0.75 (never an item no one took), and the batch's
    /// other positives are not negatives; mixed negatives are uniform over the catalogue.
    @Test func samplersDrawTheirDistributions() {
        let counts = [16, 1, 0, 81]
        let training = counts.enumerated().flatMap { [Int32](repeating: Int32($0.offset), count: $0.element) }
        var objective = TwoTowerObjective(negatives: .popularity)
        objective.sampled = 20_000
        var popularity = TwoTowerNegatives(objective, targets: training, itemCount: 4, logQ: false, seed: 5)
        let keys = popularity.keys(targets: [0, 3])
        let drawn = keys.items.dropFirst(2)
        let weights = counts.map { pow(Double($0), 0.75) }, total = weights.reduce(0, +)
        for item in 0..<4 {
            let share = Double(drawn.filter { $0 == item }.count) / Double(drawn.count)
            #expect(abs(share - weights[item] / total) < 0.012, "item \(item): \(share) against \(weights[item] / total)")
        }
        let c = keys.correction!.scalars, k = keys.items.count
        #expect(c[1] == -.infinity && c[k] == -.infinity && c[0] != -.infinity && c[k + 1] != -.infinity)
        // Row 0's positive (item 0) drawn again is masked in row 0, and only there.
        let zero = keys.items.indices.filter { $0 >= 2 && keys.items[$0] == 0 }
        #expect(!zero.isEmpty && zero.allSatisfy { c[$0] == -.infinity && c[k + $0] != -.infinity })

        objective.negatives = .mixed
        var mixed = TwoTowerNegatives(objective, targets: training, itemCount: 4, logQ: false, seed: 5)
        let uniform = mixed.keys(targets: [0, 3]).items.dropFirst(2)
        for item in 0..<4 {
            let share = Double(uniform.filter { $0 == item }.count) / Double(uniform.count)
            #expect(abs(share - 0.25) < 0.012, "item \(item): \(share)")
        }
    }

    /// A hard negative sits at a rank in the configured range among the items the user has not
    /// taken, and is never one they took.
    @Test func hardNegativesSkipTakenItems() {
        var objective = TwoTowerObjective(negatives: .hard)
        objective.hardRanks = 2..<4
        var negatives = TwoTowerNegatives(objective, targets: [0], itemCount: 10, logQ: false, seed: 3)
        let ranked: [Int32] = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], taken: [Int32] = [6, 8]
        var picked = Set<Int32>()
        for _ in 0..<200 { picked.insert(negatives.hardNegative(ranked: ranked, taken: taken)) }
        #expect(picked == [5, 4])   // ranks 2 and 3 of 9, 7, 5, 4, …
        let keys = negatives.keys(targets: [1, 2], hard: [5, 2])
        #expect(keys.items == [1, 2, 5, 2])
        #expect(keys.correction!.scalars[1 * 4 + 3] == -.infinity)
    }

    /// 40 users in 4 groups each take a few of their group's 10 items. Every loss with every
    /// kind of negatives must learn the groups: each user scores the untaken items of their own
    /// group above every other group's, on average over users (AUC above 0.85; chance is 0.5).
    @Test(arguments: TwoTowerObjective.Loss.allCases)
    func everyTrainingLearnsGroups(loss: TwoTowerObjective.Loss) {
        var random = SplitMix64(seed: 11)
        var pairs: [(user: Int32, item: Int32)] = []
        var taken = [[Int32]](repeating: [], count: 40)
        for u in 0..<40 {
            for item in Set((0..<4).map { _ in Int32((u % 4) * 10 + Int(random.next() % 10)) }).sorted() {
                pairs.append((Int32(u), item))
                taken[u].append(item)
            }
        }
        let users = FeatureTable(fieldCount: 1, ids: (0..<40).map { $0 }, vocabularySize: 40)
        let items = FeatureTable(fieldCount: 1, ids: (0..<40).map { $0 }, vocabularySize: 40)
        for negatives in TwoTowerObjective.Negatives.allCases {
            var objective = TwoTowerObjective(loss: loss, negatives: negatives)
            objective.sampled = 16
            objective.hardRanks = 5..<15
            var configuration = TwoTower.Configuration(user: .init(features: users), item: .init(features: items))
            configuration.user.outputDimension = 16
            configuration.item.outputDimension = 16
            let model = TwoTower(configuration)
            var epochs = 0.0   // each epoch "improves", so the last weights are kept
            TwoTowerTraining.fit(model, pairs: pairs, users: users, items: items,
                                 configuration: TrainingConfiguration(epochs: 40, batchSize: 16, learningRate: 1e-2, patience: 40),
                                 objective: objective, taken: taken.map { $0.sorted() }, validate: { epochs += 1; return epochs })
            let vectors = TwoTowerTraining.itemVectors(model, items: items)
            let scores = TwoTowerTraining.scores(model, users: users, userRows: (0..<40).map { $0 }, itemVectors: vectors)
            var auc = 0.0
            for u in 0..<40 {
                let own = (0..<40).filter { $0 / 10 == u % 4 && !taken[u].contains(Int32($0)) }
                let other = (0..<40).filter { $0 / 10 != u % 4 }
                var wins = 0.0
                for i in own { for j in other { wins += scores[u * 40 + i] > scores[u * 40 + j] ? 1 : 0 } }
                auc += wins / Double(own.count * other.count) / 40
            }
            #expect(auc > 0.85, "\(objective.name): AUC \(auc)")
        }
    }

    /// The self-supervised loss alone, on items whose id and genre bag are split between the
    /// two views, teaches the id embeddings their genre: read by id alone, items of one genre
    /// end up closer to each other than to the other genres'.
    @Test func selfSupervisionAlignsIdsWithContent() {
        let genres = (0..<40).map { [Int32($0 % 4)] }
        let items = FeatureTable(fieldCount: 1, ids: (0..<40).map { $0 }, vocabularySize: 40, bags: genres, bagVocabularySize: 4)
        let users = FeatureTable(fieldCount: 1, ids: [0], vocabularySize: 1)
        var configuration = TwoTower.Configuration(user: .init(features: users), item: .init(features: items))
        configuration.item.outputDimension = 16
        let model = TwoTower(configuration)
        var supervision = TwoTowerObjective.SelfSupervision(augmentation: .complementary)
        supervision.batchSize = 40
        var generator = SplitMix64(seed: 4)
        var optimizer = Adam(learningRate: 1e-2)
        let batch = items.batch((0..<40).map { Int32($0) })
        for _ in 0..<150 {
            let graph = Graph(mode: .training)
            let loss = model.selfSupervisedLoss(batch, supervision, generator: &generator, in: graph)
            graph.backward(loss)
            optimizer.step(model.trainableParameters)
        }
        let idsOnly = batch.filteringBags { _, _ in false }
        let vectors = model.itemTower(idsOnly, keeping: [Bool](repeating: true, count: 40), dropout: 0, in: Graph(mode: .inference))
            .l2Normalized().value.scalars
        let d = 16
        func cosine(_ a: Int, _ b: Int) -> Float { (0..<d).reduce(0) { $0 + vectors[a * d + $1] * vectors[b * d + $1] } }
        var same: [Float] = [], different: [Float] = []
        for a in 0..<40 { for b in (a + 1)..<40 { (a % 4 == b % 4 ? { same.append(cosine(a, b)) } : { different.append(cosine(a, b)) })() } }
        let (meanSame, meanDifferent) = (same.reduce(0, +) / Float(same.count), different.reduce(0, +) / Float(different.count))
        #expect(meanSame > meanDifferent + 0.3, "same genre \(meanSame), different \(meanDifferent)")
    }
}
