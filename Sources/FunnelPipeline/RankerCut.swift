import FunnelRetrieval
import FunnelStages

/// A pre-ranker made of a cheaper ranker: the candidates with the best fusion of its
/// predictions (by the feed's fusion rule) go on to the ranker. A NaN score never does.
public struct RankerCut: PreRanker {
    public let ranker: any Ranker
    public let fusion: ScoreFusion

    public init(_ ranker: any Ranker, fusion: ScoreFusion) {
        (self.ranker, self.fusion) = (ranker, fusion)
    }

    public var name: String { ranker.name }
    public var featureNames: [String] { ranker.featureNames }

    public func select(_ batch: RankingBatch, keep: Int) -> [Int] {
        let scores = fusion.fuse(ranker.predict(batch)).map { $0.isNaN ? -.infinity : $0 }
        guard keep < scores.count else { return scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) } }
        guard keep > 0 else { return [] }
        let threshold = scores.threshold(keeping: keep)
        return Array(scores.indices.filter { scores[$0] >= threshold }.sorted { (scores[$0], $1) > (scores[$1], $0) }.prefix(keep))
    }
}
