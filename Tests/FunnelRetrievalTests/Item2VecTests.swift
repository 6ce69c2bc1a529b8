import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTestSupport
import Testing

@Suite struct Item2VecTests {
    /// A step moves x, u₊ and each u₋ by `rate` times the gradient of
    /// ln σ(x·u₊) + Σ ln σ(−x·u₋), taken by central differences in float64.
    @Test func aStepFollowsTheGradient() {
        var random = SplitMix64(seed: 5)
        let (d, rate): (Int, Float) = (16, 0.01)
        // Rows: 0 the input x, then the context rows of items 0, 1, 2; item 0 is the centre and
        // the draws give 2 then 1.
        let start = (0..<(4 * d)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
        func objective(_ p: [Double]) -> Double {
            func dot(_ a: Int, _ b: Int) -> Double { (0..<d).reduce(0) { $0 + p[a * d + $1] * p[b * d + $1] } }
            return -log1p(exp(-dot(0, 1))) - log1p(exp(dot(0, 3))) - log1p(exp(dot(0, 2)))
        }
        var after = start
        var draws: [Int32] = [2, 1]
        after.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            let error = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { error.deallocate() }
            Item2Vec.ascentStep(base, positive: base + d, negatives: 2, draw: { draws.removeFirst() }, center: 0,
                                contexts: base + d, stride: d, rate: rate, error: error)
        }
        let worst = largestAscentStepError(from: start, to: after, rate: rate, objective: objective)
        #expect(worst.error < 1e-4, "\(worst)")
    }

    /// Users of four groups each take items of their group's block of ten in random order: every
    /// item's nearest items are of its own block.
    @Test func neighboursAreOfTheSameBlock() {
        var random = SplitMix64(seed: 8)
        let sequences = (0..<400).map { u in (0..<12).map { _ in Int32((u % 4) * 10 + Int(random.next() % 10)) } }
        var parameters = Item2Vec.Parameters()
        (parameters.dimension, parameters.epochs, parameters.subsampling) = (16, 5, 1)
        let lists = Item2Vec(sequences: sequences, itemCount: 40, parameters: parameters).neighbours(k: 5)
        #expect(lists.rowCount == 40)
        for item in 0..<40 {
            let row = lists.row(item)
            #expect(row.neighbours.count == 5 && !row.neighbours.contains(Int32(item)))
            #expect(row.neighbours.allSatisfy { Int($0) / 10 == item / 10 }, "item \(item): \(Array(row.neighbours))")
            #expect(zip(row.scores, row.scores.dropFirst()).allSatisfy { $0 >= $1 })
        }
    }

    /// On MovieLens-100K, leave-last-out with full ranking: item2vec beats popularity on Recall@50
    /// (10 epochs, a third of the default, to keep the test short).
    @Test(.enabled(if: TestData.movieLens100K != nil, "datasets \(TestData.missingMessage)"))
    func beatsPopularityOnMovieLens() throws {
        let root = TestData.movieLens100K!.deletingLastPathComponent()
        let (interactions, users, items) = try EvaluationDataset.movieLens100K.load(from: root)
        let popularity = BaselineEvaluation.popularity(.movieLens100K, interactions: interactions, userCount: users, itemCount: items)
        var parameters = Item2Vec.Parameters()
        parameters.epochs = 10
        let item2vec = BaselineEvaluation.item2vec(.movieLens100K, interactions: interactions, userCount: users, itemCount: items, parameters: parameters)
        #expect(item2vec.fullRecall50 > popularity.fullRecall50 * 1.2, "item2vec \(item2vec.fullRecall50), popularity \(popularity.fullRecall50)")
    }
}
