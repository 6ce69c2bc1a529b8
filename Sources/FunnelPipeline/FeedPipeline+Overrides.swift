import Foundation
import FunnelRerank
import FunnelRetrieval
import FunnelStages

extension FeedPipeline {
    /// This pipeline with an experiment arm's settings: the same indexes, channels and trained
    /// models, other quotas, depths, reranker or fusion. Fails, naming the setting, on a value
    /// out of range or a channel this pipeline does not build.
    public func applying(_ overrides: PipelineOverrides, registry: StageRegistry = .standard) throws -> FeedPipeline {
        let changed = overrides.applied(to: configuration)
        try changed.validate(registry: registry)
        if twoTower == nil, configuration.quota(of: "two-tower") == 0, changed.quota(of: "two-tower") > 0 {
            throw PipelineError("quotas: the two-tower channel is built only when [pipeline] gives it a quota, so an arm cannot turn it on")
        }
        var variant = self
        variant.configuration = changed
        variant.reranker = try registry.reranker(named: changed.reranker, configuration: changed)
        variant.sources = Self.sources(of: channels, changed)
        variant.sourceColumns = features.columns(of: variant.sources)
        variant.preRanker = preRanker.map { RankerCut($0.ranker, fusion: changed.fusion) }
        return variant
    }
}

extension FeedPipeline {
    /// The reranker's `order` of the shortlist under the scattering rules, with the rest of the
    /// shortlist (by relevance) behind it for the rules to draw on. Indices into the shortlist.
    func scattered(_ order: [Int], shortlist: [Int], rows: [Int32], items: [String], fresh: FreshItems, n: Int, now: Date) -> [Int] {
        let rules = configuration.scattering
        let placed = Set(order)
        let preferred = order + shortlist.indices.filter { !placed.contains($0) }
        let horizon = now.timeIntervalSince1970 - rules.freshHours * 3_600
        let candidates = preferred.map { k -> ScatteringRules.Candidate in
            if !fresh.isEmpty, let item = fresh.item(items[k]) {
                return ScatteringRules.Candidate(category: item.categories.first.flatMap { categoryIDs[$0] } ?? -1,
                                                 author: item.authorID.flatMap { authorIDs[$0] } ?? -1,
                                                 isFresh: (item.createdAt?.timeIntervalSince1970 ?? -.infinity) >= horizon)
            }
            let row = rows[k]
            guard row >= 0 else { return ScatteringRules.Candidate(category: -1, author: -1, isFresh: false) }
            let s = served[Int(row)]
            return ScatteringRules.Candidate(category: s.category, author: s.author, isFresh: s.created >= horizon)
        }
        return rules.order(candidates, n: min(n, order.count)).map { preferred[$0] }
    }
}
