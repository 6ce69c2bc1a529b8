import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTestSupport
import Testing

@Suite struct ImplicitALSTests {
    /// 30 users × 20 items, each user with a few items of weight 1–3.
    static let matrix: InteractionMatrix = {
        var random = SplitMix64(seed: 4)
        var entries: [(user: Int32, item: Int32, weight: Float)] = []
        for u in 0..<30 {
            for _ in 0..<(2 + Int(random.next() % 5)) {
                entries.append((Int32(u), Int32((u % 4) * 5 + Int(random.next() % 7)) % 20, Float(1 + random.next() % 3)))
            }
        }
        return InteractionMatrix(userCount: 30, itemCount: 20, entries: entries)
    }()

    /// Every half-step lowers the objective (conjugate gradient never raises a quadratic), and
    /// with as many steps as factors each solve is exact: the gradient of the objective with
    /// respect to every item vector, worked from its definition over every pair, vanishes after
    /// the last (item) half-step.
    @Test func solvesTheNormalEquations() {
        var parameters = ImplicitALS.Parameters()
        (parameters.factors, parameters.regularization, parameters.alpha, parameters.iterations, parameters.conjugateGradientSteps) = (4, 0.1, 2, 8, 4)
        var losses: [Double] = []
        let model = ImplicitALS(Self.matrix, parameters: parameters) { losses.append($1) }
        for k in losses.indices.dropFirst() { #expect(losses[k] <= losses[k - 1] * (1 + 1e-6), "\(losses)") }
        let f = 4, (x, y) = (model.userFactors, model.itemFactors)
        var largest: Float = 0, scale: Float = 0
        for i in 0..<20 {
            var gradient = [Float](repeating: 0, count: f)
            for u in 0..<30 {
                let (items, weights) = Self.matrix.items(of: u)
                let weight = zip(items, weights).first { $0.0 == Int32(i) }?.1 ?? 0
                let c = 1 + 2 * weight, p: Float = weight > 0 ? 1 : 0
                let prediction = (0..<f).reduce(Float(0)) { $0 + x[u * f + $1] * y[i * f + $1] }
                for d in 0..<f { gradient[d] += -2 * c * (p - prediction) * x[u * f + d] }
            }
            for d in 0..<f {
                gradient[d] += 2 * 0.1 * y[i * f + d]
                largest = max(largest, abs(gradient[d]))
                scale = max(scale, abs(y[i * f + d]))
            }
        }
        #expect(largest < 1e-3 * max(1, scale), "largest gradient \(largest)")
    }

    /// Scores rank a user's own kind of items first: users of a block of items score that block
    /// above the others.
    @Test func scoresFollowTheBlocks() {
        var parameters = ImplicitALS.Parameters()
        (parameters.factors, parameters.iterations) = (8, 10)
        let model = ImplicitALS(Self.matrix, parameters: parameters)
        var own = 0.0, other = 0.0
        for u in 0..<30 {
            let scores = model.scores(user: u)
            for i in 0..<20 { if (i / 5) == u % 4 { own += Double(scores[i]) } else { other += Double(scores[i]) } }
        }
        #expect(own / 5 > 2 * other / 15)
    }

    /// On MovieLens-100K, leave-last-out with full ranking: ALS beats popularity on Recall@50.
    @Test(.enabled(if: TestData.movieLens100K != nil, "datasets \(TestData.missingMessage)"))
    func beatsPopularityOnMovieLens() throws {
        let root = TestData.movieLens100K!.deletingLastPathComponent()
        let (interactions, users, items) = try EvaluationDataset.movieLens100K.load(from: root)
        let popularity = BaselineEvaluation.popularity(.movieLens100K, interactions: interactions, userCount: users, itemCount: items)
        let als = BaselineEvaluation.als(.movieLens100K, interactions: interactions, userCount: users, itemCount: items)
        #expect(als.fullRecall50 > popularity.fullRecall50 * 1.2, "ALS \(als.fullRecall50), popularity \(popularity.fullRecall50)")
    }
}
