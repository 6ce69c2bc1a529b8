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
