import FunnelRerank
import FunnelStages

/// How one surface orders what it shows for diversity: the reranker (by its name in
/// `StageRegistry`) with its parameters, how many candidates it chooses from, and the
/// scattering rules after it. The feed's are the `[pipeline]` keys of the same names (its depth
/// is `rerankDepth`); each other surface has its own table, `[pipeline.surfaces.<surface>]`,
/// in which a key left out takes the default below: no reranker, no rules.
public struct RerankSettings: Codable, Sendable, Equatable {
    public var reranker = RelevanceOrder().name
    /// MMR's weight of relevance against diversity, and how many of the last placed items a
    /// candidate is compared with.
    public var mmrLambda = 0.7
    public var mmrWindow = 5
    /// The DPP reranker's weight of relevance against diversity (θ in [0, 1)), how many
    /// consecutive slots it keeps diverse together (0: the whole list), and the weight of the
    /// similarity in its kernel (β in [0, 1]; at 1, two items of one category never both place
    /// while another category is left).
    public var dppTheta = 0.7
    public var dppWindow = 0
    public var dppSimilarityWeight = 0.9
    /// How many candidates the reranker chooses from, as a multiple of the items shown.
    public var depth = 5
    public var scattering = ScatteringRules()

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RerankSettings()
        reranker = try c.decodeIfPresent(String.self, forKey: .reranker) ?? d.reranker
        mmrLambda = try c.decodeIfPresent(Double.self, forKey: .mmrLambda) ?? d.mmrLambda
        mmrWindow = try c.decodeIfPresent(Int.self, forKey: .mmrWindow) ?? d.mmrWindow
        dppTheta = try c.decodeIfPresent(Double.self, forKey: .dppTheta) ?? d.dppTheta
        dppWindow = try c.decodeIfPresent(Int.self, forKey: .dppWindow) ?? d.dppWindow
        dppSimilarityWeight = try c.decodeIfPresent(Double.self, forKey: .dppSimilarityWeight) ?? d.dppSimilarityWeight
        depth = try c.decodeIfPresent(Int.self, forKey: .depth) ?? d.depth
        scattering = try c.decodeIfPresent(ScatteringRules.self, forKey: .scattering) ?? d.scattering
    }

    /// Whether the surface shows its list as ranked.
    public var keepsOrder: Bool { reranker == RelevanceOrder().name && scattering.isOff }

    /// Every value within its range and the reranker registered, else an error naming the key
    /// under `table` (`pipeline.` or `pipeline.surfaces.similar.`); `depthKey`: the depth's name there.
    public func validate(_ table: String, depthKey: String = "depth", registry: StageRegistry) throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw PipelineError("\(table)\(field) \(rule)") }
        }
        try check(depth >= 1, depthKey, "must be at least 1")
        try check((0...1).contains(mmrLambda), "mmrLambda", "must be within 0…1")
        try check(mmrWindow >= 1, "mmrWindow", "must be at least 1")
        try check(dppTheta >= 0 && dppTheta < 1, "dppTheta", "must be within [0, 1)")
        try check(dppWindow == 0 || dppWindow >= 2, "dppWindow", "must be 0 (the whole list) or at least 2")
        try check((0...1).contains(dppSimilarityWeight), "dppSimilarityWeight", "must be within 0…1")
        let s = scattering
        try check(s.window >= 0 && s.maxPerCategory >= 0 && s.maxPerAuthor >= 0 && s.freshGap >= 0, "scattering",
                  "window, maxPerCategory, maxPerAuthor and freshGap must not be negative")
        try check(s.window != 1, "scattering.window", "must be 0 (no window rules) or at least 2")
        try check((0...1).contains(s.freshShare), "scattering.freshShare", "must be within 0…1")
        try check(s.freshHours > 0 && s.freshHours.isFinite, "scattering.freshHours", "must be a positive number of hours")
        guard registry.rerankers[reranker] != nil else {
            throw PipelineError("\(table)reranker: unknown reranker '\(reranker)'; the rerankers are \(registry.rerankers.keys.sorted().joined(separator: ", "))")
        }
    }
}
