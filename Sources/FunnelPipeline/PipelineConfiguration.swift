import Foundation
import FunnelRerank
import FunnelRetrieval
import FunnelStages

/// What a feed is made of, as the `[pipeline]` table of the TOML configuration holds it. Every
/// field may be left out.
public struct PipelineConfiguration: Codable, Sendable, Equatable {
    /// Candidates per channel, by channel name; a channel not named gets `defaultQuota` (the
    /// channels of `offByDefault` get 0), and a quota of 0 turns a channel off.
    public var quotas: [String: Int] = [:]
    public var defaultQuota = 100
    /// ItemCF and Swing: how many of each recent item's neighbours a feed scores.
    public var neighboursPerItem = 50
    /// How many of the ranker's best go on to the reranker, as a multiple of the feed size.
    public var rerankDepth = 5
    /// MMR's weight of relevance against diversity, and how many of the last placed items a
    /// candidate is compared with.
    public var mmrLambda = 0.7
    public var mmrWindow = 5
    /// The DPP reranker's weight of relevance against diversity (θ in [0, 1)), how many
    /// consecutive slots it keeps diverse together (0: the whole feed), and the weight of the
    /// similarity in its kernel (β in [0, 1]; at 1, two items of one category never both place
    /// while another category is left).
    public var dppTheta = 0.7
    public var dppWindow = 0
    public var dppSimilarityWeight = 0.9
    /// How long an exposed item stays out of the same user's feeds.
    public var exposureDays = 7
    /// Logged exposures used to train the ranker (the most recent ones).
    public var trainingExposures = 200_000
    /// Whether one feed runs its channels concurrently: lower latency on an idle server, but
    /// under load the cores are busy with other requests and the task switches cost throughput.
    public var concurrentChannels = false
    /// The ranker and reranker, by their names in `StageRegistry`. A trained ranker serves once
    /// `funnel train ranker` has saved one; until then reciprocal-rank fusion does. The default
    /// is the multi-gate mixture of experts, predicting every objective, behind the logistic
    /// regression as pre-ranker; `logistic-regression` alone costs the least CPU per feed.
    public var ranker = "mmoe"
    /// A cheaper ranker (by its registry name) that cuts the filtered candidates to the best
    /// `preRankDepth` by its fused predictions before the ranker scores them, or none (`"none"`
    /// in the file). Trained beside the ranker by `funnel train ranker`, on the same examples.
    public var preRanker: String? = "logistic-regression"
    public var preRankDepth = 200
    public var reranker = "mmr"
    /// Rules the feed's order keeps after the reranker (`[pipeline.scattering]`): at most so
    /// many of a category or author in a window of slots, a share of slots for fresh items.
    public var scattering = ScatteringRules()
    /// What makes two items alike for every reranker (`[pipeline.similarity]`).
    public var similarity = SimilarityWeights()
    /// The reranking of the other surfaces (`[pipeline.surfaces.similar]`, `.popular`, `.latest`);
    /// a surface not named shows its list as ranked.
    public var surfaces: [Surface: RerankSettings] = [:]
    /// How the ranker's predictions become the feed's order.
    public var fusion = ScoreFusion()
    /// The features the rankers see (`[pipeline.features]`).
    public var features = FeatureSpec()
    /// Per trained stage, by registry name, its settings over the defaults
    /// (`[pipeline.models.mmoe] expertUnits = [32, 16]`).
    public var models: [String: ModelSettings] = [:]
    /// How the ranker trains on a log without exposures (`[pipeline.positiveOnly]`).
    public var positiveOnly = PositiveOnlyTraining()
    /// How the two-tower channel's model trains (`[pipeline.twoTower] loss = "pairwise-hinge"`).
    public var twoTower = TwoTowerObjective()

    public init() {}

    /// Every channel a feed can have, by the name its quota takes.
    public static let channels = ["itemcf", "swing", "usercf", "popular", "trending", "latest", "nearby", "same-city",
                                  "author-followed", "author-interacted", "author-similar", "two-tower", "cache", "als", "bpr", "item2vec"]

    /// Channels that fit a model at every rebuild, off unless `[pipeline.quotas]` gives them a quota.
    public static let offByDefault: Set<String> = ["als", "bpr", "item2vec"]

    /// The feed's reranking, as the `[pipeline]` keys hold it.
    public var rerank: RerankSettings {
        get {
            var r = RerankSettings()
            (r.reranker, r.mmrLambda, r.mmrWindow, r.dppTheta, r.dppWindow, r.dppSimilarityWeight, r.depth, r.scattering)
                = (reranker, mmrLambda, mmrWindow, dppTheta, dppWindow, dppSimilarityWeight, rerankDepth, scattering)
            return r
        }
        set {
            (reranker, mmrLambda, mmrWindow, dppTheta, dppWindow, dppSimilarityWeight, rerankDepth, scattering)
                = (newValue.reranker, newValue.mmrLambda, newValue.mmrWindow, newValue.dppTheta, newValue.dppWindow,
                   newValue.dppSimilarityWeight, newValue.depth, newValue.scattering)
        }
    }

    /// The reranking of `surface`.
    public func rerank(of surface: Surface) -> RerankSettings { surfaces[surface] ?? RerankSettings() }

    /// The quota of the channel named `channel`.
    public func quota(of channel: String) -> Int { quotas[channel] ?? (Self.offByDefault.contains(channel) ? 0 : defaultQuota) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PipelineConfiguration()
        quotas = try c.decodeIfPresent([String: Int].self, forKey: .quotas) ?? d.quotas
        defaultQuota = try c.decodeIfPresent(Int.self, forKey: .defaultQuota) ?? d.defaultQuota
        neighboursPerItem = try c.decodeIfPresent(Int.self, forKey: .neighboursPerItem) ?? d.neighboursPerItem
        rerankDepth = try c.decodeIfPresent(Int.self, forKey: .rerankDepth) ?? d.rerankDepth
        mmrLambda = try c.decodeIfPresent(Double.self, forKey: .mmrLambda) ?? d.mmrLambda
        mmrWindow = try c.decodeIfPresent(Int.self, forKey: .mmrWindow) ?? d.mmrWindow
        dppTheta = try c.decodeIfPresent(Double.self, forKey: .dppTheta) ?? d.dppTheta
        dppWindow = try c.decodeIfPresent(Int.self, forKey: .dppWindow) ?? d.dppWindow
        dppSimilarityWeight = try c.decodeIfPresent(Double.self, forKey: .dppSimilarityWeight) ?? d.dppSimilarityWeight
        exposureDays = try c.decodeIfPresent(Int.self, forKey: .exposureDays) ?? d.exposureDays
        trainingExposures = try c.decodeIfPresent(Int.self, forKey: .trainingExposures) ?? d.trainingExposures
        concurrentChannels = try c.decodeIfPresent(Bool.self, forKey: .concurrentChannels) ?? d.concurrentChannels
        ranker = try c.decodeIfPresent(String.self, forKey: .ranker) ?? d.ranker
        preRanker = try c.decodeIfPresent(String.self, forKey: .preRanker).map { $0 == "none" ? nil : $0 } ?? d.preRanker
        preRankDepth = try c.decodeIfPresent(Int.self, forKey: .preRankDepth) ?? d.preRankDepth
        reranker = try c.decodeIfPresent(String.self, forKey: .reranker) ?? d.reranker
        fusion = try c.decodeIfPresent(ScoreFusion.self, forKey: .fusion) ?? d.fusion
        scattering = try c.decodeIfPresent(ScatteringRules.self, forKey: .scattering) ?? d.scattering
        similarity = try c.decodeIfPresent(SimilarityWeights.self, forKey: .similarity) ?? d.similarity
        for (name, settings) in try c.decodeIfPresent([String: RerankSettings].self, forKey: .surfaces) ?? [:] {
            guard let surface = Surface(rawValue: name) else {
                throw DecodingError.dataCorruptedError(forKey: .surfaces, in: c, debugDescription: "unknown surface '\(name)'; the surfaces are "
                    + Surface.allCases.map(\.rawValue).joined(separator: ", ") + " (the feed's reranking is set by [pipeline]'s own keys)")
            }
            surfaces[surface] = settings
        }
        features = try c.decodeIfPresent(FeatureSpec.self, forKey: .features) ?? d.features
        models = try c.decodeIfPresent([String: ModelSettings].self, forKey: .models) ?? d.models
        twoTower = try c.decodeIfPresent(TwoTowerObjective.self, forKey: .twoTower) ?? d.twoTower
        positiveOnly = try c.decodeIfPresent(PositiveOnlyTraining.self, forKey: .positiveOnly) ?? d.positiveOnly
    }

    /// Every value within its range and every stage registered, else an error naming the field.
    public func validate(registry: StageRegistry = .standard) throws {
        _ = try registry.ranker(named: ranker)
        if let preRanker, registry.rankers[preRanker] == nil {
            throw PipelineError("pipeline.preRanker: unknown ranker '\(preRanker)'; the rankers are \(registry.rankers.keys.sorted().joined(separator: ", ")), or none")
        }
        do { try fusion.validate() } catch { throw PipelineError("pipeline.\(error)") }
        try features.validate()
        for (name, settings) in models.sorted(by: { $0.key < $1.key }) {
            guard let kind = registry.rankers[name] else {
                throw PipelineError("pipeline.models.\(name): unknown ranker '\(name)'; the rankers are \(registry.rankers.keys.sorted().joined(separator: ", "))")
            }
            do { try kind.check(settings) } catch { throw PipelineError("pipeline.models.\(name): \(error)") }
            let sequenceSettings = [("sequencePooling", settings.sequencePooling != nil), ("attentionUnits", settings.attentionUnits != nil),
                                    ("recencyEmbedding", settings.recencyEmbedding != nil)]
            if !features.has(.sequence), !features.has(.categorySequence), let (field, _) = sequenceSettings.first(where: \.1) {
                throw PipelineError("pipeline.models.\(name).\(field): the features have no behaviour sequence; add \"sequence\" or \"categorySequence\" (and \"ids\") to pipeline.features.groups")
            }
        }
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw PipelineError("pipeline.\(field) \(rule)") }
        }
        if let unknown = quotas.keys.sorted().first(where: { !Self.channels.contains($0) }) {
            throw PipelineError("pipeline.quotas: unknown channel '\(unknown)'; the channels are \(Self.channels.joined(separator: ", "))")
        }
        try check(quotas.values.allSatisfy { $0 >= 0 }, "quotas", "must not be negative")
        try check(defaultQuota >= 0, "defaultQuota", "must not be negative")
        try check(neighboursPerItem >= 1, "neighboursPerItem", "must be at least 1")
        try check(preRankDepth >= 1, "preRankDepth", "must be at least 1")
        try check(exposureDays >= 1, "exposureDays", "must be at least 1")
        try check(trainingExposures >= 100, "trainingExposures", "must be at least 100")
        try rerank.validate("pipeline.", depthKey: "rerankDepth", registry: registry)
        for (surface, settings) in surfaces.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try settings.validate("pipeline.surfaces.\(surface.rawValue).", registry: registry)
        }
        if let problem = similarity.problem { throw PipelineError("pipeline.similarity: \(problem)") }
        if let problem = twoTower.problem { throw PipelineError("pipeline.twoTower.\(problem)") }
        if let problem = positiveOnly.problem { throw PipelineError("pipeline.positiveOnly.\(problem)") }
        if similarity.vector > 0, similarity.vectors == .twoTower, quota(of: "two-tower") == 0 {
            throw PipelineError("pipeline.similarity.vectors: \"two-tower\" needs the two-tower channel, which a quota of 0 turns off")
        }
    }
}
