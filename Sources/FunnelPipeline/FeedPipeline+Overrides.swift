import Foundation
import FunnelRerank
import FunnelRetrieval
import FunnelStages

extension FeedPipeline {
    /// This pipeline with an experiment arm's settings: the same indexes, channels and trained
    /// models, other quotas, depths, reranker, fusion, scattering or similarity. Fails, naming
    /// the setting, on a value out of range or a channel this pipeline does not build.
    public func applying(_ overrides: PipelineOverrides, registry: StageRegistry = .standard) throws -> FeedPipeline {
        let changed = overrides.applied(to: configuration)
        try changed.validate(registry: registry)
        if twoTower == nil, configuration.quota(of: "two-tower") == 0, changed.quota(of: "two-tower") > 0 {
            throw PipelineError("quotas: the two-tower channel is built only when [pipeline] gives it a quota, so an arm cannot turn it on")
        }
        var variant = self
        variant.configuration = changed
        variant.reranker = try registry.reranker(changed.rerank)
        variant.sources = Self.sources(of: channels, changed)
        variant.sourceColumns = features.columns(of: variant.sources)
        variant.preRanker = preRanker.map { RankerCut($0.ranker, fusion: changed.fusion) }
        if changed.similarity != configuration.similarity {
            variant.similarity = Self.similarity(changed.similarity, catalogue: catalogue, space: indexes.items, twoTower: twoTower)
        }
        return variant
    }
}

extension FeedPipeline {
    /// The reranker's `order` of `count` candidates under the scattering `rules`, with the rest
    /// of them (by relevance: by index) behind it for the rules to draw on. `rows`, `items`: each
    /// candidate's row of the item space and id. Indices into the candidates.
    func scattered(_ order: [Int], rules: ScatteringRules, count: Int, rows: [Int32], items: [String], fresh: FreshItems, n: Int, now: Date) -> [Int] {
        let placed = Set(order)
        let preferred = order + (0..<count).filter { !placed.contains($0) }
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

    /// How many of a list's best `surface` reads to show `n` (more than `n` when it reranks).
    public func candidateCount(of surface: Surface, n: Int) -> Int {
        let settings = configuration.rerank(of: surface)
        return settings.keepsOrder ? n : n * settings.depth
    }

    /// The first `n` of `ranked` (best first) as `surface` shows them: in the order of its
    /// reranker over the pipeline's similarity, under its scattering rules. The relevance the
    /// reranker weighs is the list's own score. `fresh`: items written since the build.
    public func reranked(_ ranked: [ScoredItem], for surface: Surface, n: Int, fresh: FreshItems = FreshItems(), now: Date = Date()) -> [ScoredItem] {
        let settings = configuration.rerank(of: surface)
        guard !settings.keepsOrder, let reranker = surfaceRerankers[surface] else { return Array(ranked.prefix(n)) }
        let candidates = Array(ranked.prefix(n * settings.depth))
        let rows = candidates.map { indexes.items.lookup($0.item) ?? -1 }
        let order = reranker.order(relevance: candidates.map(\.score), n: n) { similarity(rows[$0], rows[$1]) }
        let placed = settings.scattering.isOff ? order
            : scattered(order, rules: settings.scattering, count: candidates.count, rows: rows, items: candidates.map(\.item), fresh: fresh, n: n, now: now)
        return placed.map { candidates[$0] }
    }

    /// The first `n` of the items `listed` (best first) as `surface` shows them, the list's
    /// order as the relevance.
    public func reranked(_ listed: [String], for surface: Surface, n: Int, fresh: FreshItems = FreshItems(), now: Date = Date()) -> [String] {
        reranked(listed.enumerated().map { ScoredItem(item: $1, score: Double(listed.count - $0)) }, for: surface, n: n, fresh: fresh, now: now).map(\.item)
    }
}
