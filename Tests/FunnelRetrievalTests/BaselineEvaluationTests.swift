import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTestSupport
import Testing

@Suite struct BaselineEvaluationTests {
    static var root: URL? { TestData.movieLens100K?.deletingLastPathComponent() }

    /// Popularity under both protocols on both datasets: deterministic for a seed, far above
    /// chance (10/101 for HR@10 with 100 negatives), and harder under full ranking.
    @Test(.enabled(if: TestData.movieLens100K != nil, "datasets \(TestData.missingMessage)"), arguments: EvaluationDataset.allCases)
    func popularityRows(_ dataset: EvaluationDataset) throws {
        let (interactions, users, items) = try dataset.load(from: Self.root!)
        let a = BaselineEvaluation.popularity(dataset, interactions: interactions, userCount: users, itemCount: items)
        let b = BaselineEvaluation.popularity(dataset, interactions: interactions, userCount: users, itemCount: items)
        #expect(a.sampledHR10 == b.sampledHR10 && a.fullRecall50 == b.fullRecall50)
        #expect(a.sampledHR10 > 3 * 10.0 / 101, "\(a)")
        #expect(a.sampledNDCG10 < a.sampledHR10 && a.fullHR10 < a.sampledHR10 && a.fullHR10 <= a.fullRecall50)
        let other = BaselineEvaluation.popularity(dataset, interactions: interactions, userCount: users, itemCount: items, seed: 7)
        #expect(abs(other.sampledHR10 - a.sampledHR10) < 0.03, "another seed moves HR@10 by sampling noise only")
        // Negatives drawn by popularity are harder for a popularity ranker than uniform ones.
        let hard = BaselineEvaluation.popularity(dataset, interactions: interactions, userCount: users, itemCount: items, sampling: .popularity)
        #expect(hard.sampledHR10 < a.sampledHR10)
    }
}
