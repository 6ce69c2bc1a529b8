import FunnelData
import FunnelEval

/// The popularity baseline under the two protocols of the quality table: leave-last-out with
/// N sampled negatives (HR@10, NDCG@10, as SASRec reports) and full ranking (HR@10, NDCG@10,
/// Recall@50, which is HR@50 with one held-out item).
public struct BaselineEvaluation: Codable, Sendable {
    public var dataset: String
    public var model: String
    public var users: Int
    public var items: Int
    public var interactions: Int
    public var sampling: String
    public var negatives: Int
    public var sampledHR10: Double
    public var sampledNDCG10: Double
    public var fullHR10: Double
    public var fullNDCG10: Double
    public var fullRecall50: Double

    public static func popularity(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                                  negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let popularity = Popularity(items: split.train.map(\.item), itemCount: itemCount)
        // Test: the validation item joins the history, as in SASRec's evaluation.
        var history = split.trainItems()
        for u in 0..<userCount { if let v = split.validation[u] { history[u].insert(v) } }
        let candidates = SampledRanking.candidates(targets: split.test, interacted: split.allItems(), itemCount: itemCount,
                                                   negatives: negatives, sampling: sampling,
                                                   itemCounts: popularity.counts.map { Int($0) }, seed: seed)
        let sampled = SampledRanking.evaluate(candidates, ks: [10]) { _, items in items.map { popularity.counts[Int($0)] } }
        let full = popularity.evaluate(targets: split.test, excluded: history, ks: [10, 50])
        return BaselineEvaluation(dataset: dataset.rawValue, model: "popularity", users: userCount, items: itemCount,
                                  interactions: interactions.count, sampling: sampling.rawValue, negatives: negatives,
                                  sampledHR10: sampled.hitRate(at: 10), sampledNDCG10: sampled.ndcg(at: 10),
                                  fullHR10: full.hitRate(at: 10), fullNDCG10: full.ndcg(at: 10), fullRecall50: full.hitRate(at: 50))
    }
}
