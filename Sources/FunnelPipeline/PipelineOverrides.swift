import FunnelRerank
import FunnelStages

/// The `[pipeline]` settings an experiment arm may change: those a served feed reads at request
/// time (quotas, depths, the reranker and its parameters, the fusion of the ranker's
/// predictions, the scattering rules, the item similarity), so that every arm is served by the same built pipeline and trained models.
/// A setting that needs a rebuild or another trained model (the ranker, features, the
/// neighbours kept per item) is not among them.
public struct PipelineOverrides: Decodable, Sendable, Equatable {
    /// Merged over the pipeline's quotas, channel by channel.
    public var quotas: [String: Int]?
    public var defaultQuota: Int?
    public var rerankDepth: Int?
    public var preRankDepth: Int?
    public var reranker: String?
    public var mmrLambda: Double?
    public var mmrWindow: Int?
    public var dppTheta: Double?
    public var dppWindow: Int?
    public var dppSimilarityWeight: Double?
    /// Replace the pipeline's fusion, scattering rules and similarity weights whole (keys left
    /// out take the defaults).
    public var fusion: ScoreFusion?
    public var scattering: ScatteringRules?
    public var similarity: SimilarityWeights?

    public init() {}

    /// The keys an arm may set, for messages.
    public static let keys = ["quotas", "defaultQuota", "rerankDepth", "preRankDepth", "reranker", "mmrLambda", "mmrWindow",
                              "dppTheta", "dppWindow", "dppSimilarityWeight", "fusion", "scattering", "similarity"]

    /// The keys this sets.
    public var setKeys: [String] {
        let set: [(String, Bool)] = [
            ("quotas", quotas != nil), ("defaultQuota", defaultQuota != nil), ("rerankDepth", rerankDepth != nil),
            ("preRankDepth", preRankDepth != nil), ("reranker", reranker != nil), ("mmrLambda", mmrLambda != nil),
            ("mmrWindow", mmrWindow != nil), ("dppTheta", dppTheta != nil), ("dppWindow", dppWindow != nil),
            ("dppSimilarityWeight", dppSimilarityWeight != nil), ("fusion", fusion != nil), ("scattering", scattering != nil), ("similarity", similarity != nil),
        ]
        return set.filter(\.1).map(\.0)
    }

    public var isEmpty: Bool { setKeys.isEmpty }

    /// `configuration` with these settings over it.
    public func applied(to configuration: PipelineConfiguration) -> PipelineConfiguration {
        var c = configuration
        if let quotas { c.quotas.merge(quotas) { _, arm in arm } }
        if let defaultQuota { c.defaultQuota = defaultQuota }
        if let rerankDepth { c.rerankDepth = rerankDepth }
        if let preRankDepth { c.preRankDepth = preRankDepth }
        if let reranker { c.reranker = reranker }
        if let mmrLambda { c.mmrLambda = mmrLambda }
        if let mmrWindow { c.mmrWindow = mmrWindow }
        if let dppTheta { c.dppTheta = dppTheta }
        if let dppWindow { c.dppWindow = dppWindow }
        if let dppSimilarityWeight { c.dppSimilarityWeight = dppSimilarityWeight }
        if let fusion { c.fusion = fusion }
        if let scattering { c.scattering = scattering }
        if let similarity { c.similarity = similarity }
        return c
    }
}
