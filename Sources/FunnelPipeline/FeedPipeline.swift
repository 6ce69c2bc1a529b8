import Foundation
import FunnelData
import FunnelRerank
import FunnelRetrieval

/// The feed, stage by stage: every retrieval channel with its quota, merged; filters (items no
/// longer available, items the user acted on, items already shown); the ranker (logistic
/// regression over channel ranks and item statistics, or reciprocal-rank fusion before one is
/// trained); MMR over category similarity. One immutable version, built from the catalogue and
/// the event log at one moment; the server swaps in a new one when models or configuration
/// change.
public struct FeedPipeline: Sendable {
    public let version: String
    public let configuration: PipelineConfiguration
    public let indexes: RetrievalIndexes
    public let ranker: LogisticRanker?
    public let statistics: ItemStatistics
    let catalogue: [String: Item]
    let levels: [String: Set<String>]
    let features: RankingFeatures

    public init(version: String, configuration: PipelineConfiguration, items: [Item], events: [Event], now: Date, ranker: LogisticRanker?) {
        self.version = version
        self.configuration = configuration
        indexes = RetrievalIndexes(items: items, events: events, now: now)
        statistics = ItemStatistics(events: events, priorStrength: configuration.priorStrength)
        catalogue = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        levels = catalogue.mapValues { Set($0.categoryLevels) }
        let features = RankingFeatures(channels: indexes.channels.map(\.name))
        self.features = features
        // A ranker trained on other features (channels since added or removed) is set aside.
        self.ranker = ranker.flatMap { $0.featureNames == features.names ? $0 : nil }
    }

    public var rankerName: String { ranker == nil ? "reciprocal-rank-fusion" : "logistic-regression" }
    public var itemCount: Int { catalogue.count }

    public func item(_ id: String) -> Item? { catalogue[id] }

    /// The feed for one request. Never fails: channels that fail are left out (and named with
    /// `explain`), and a user with no history gets what needs none (popular, latest, nearby).
    public func feed(_ request: FeedRequest, state: LiveState) async -> FeedResult {
        let now = request.now
        let context = indexes.context(for: request.user, now: now, location: request.location)
        let retriever = MultiChannelRetriever(sources: indexes.sources(quotas: configuration.quotas, defaultQuota: configuration.defaultQuota))
        let retrieved = await retriever.retrieve(for: context)

        var removed = ["unavailable": 0, "acted-on": 0, "exposed": 0]
        let kept = retrieved.candidates.filter { candidate in
            guard let item = catalogue[candidate.item], item.isAvailable(at: now), !state.isRemoved(candidate.item) else {
                removed["unavailable"]! += 1
                return false
            }
            if context.actedOn.contains(candidate.item) {
                removed["acted-on"]! += 1
                return false
            }
            if state.wasExposed(candidate.item, to: request.user, now: now) {
                removed["exposed"]! += 1
                return false
            }
            return true
        }

        let scores = score(kept, now: now)
        let depth = min(kept.count, request.n * configuration.rerankDepth)
        let ranked = kept.indices.sorted { (scores[$0], kept[$1].item) > (scores[$1], kept[$0].item) }.prefix(depth)
        let shortlist = Array(ranked)
        let mmr = MMRReranker(lambda: configuration.mmrLambda, window: configuration.mmrWindow)
        let order = mmr.order(relevance: shortlist.map { scores[$0] }, n: request.n) { a, b in
            MMRReranker.categorySimilarity(levels[kept[shortlist[a]].item] ?? [], levels[kept[shortlist[b]].item] ?? [])
        }
        let entries = order.map { position -> FeedResult.Entry in
            let candidate = kept[shortlist[position]]
            return FeedResult.Entry(item: candidate.item, score: scores[shortlist[position]],
                                    channels: request.explain ? candidate.provenance.map { .init(channel: $0.channel, score: $0.score, rank: $0.rank) } : nil)
        }
        state.recordExposures(entries.map(\.item), to: request.user, at: now)

        var explanation: FeedResult.Explanation?
        if request.explain {
            var byChannel: [String: Int] = [:]
            for candidate in retrieved.candidates { for p in candidate.provenance { byChannel[p.channel, default: 0] += 1 } }
            explanation = .init(retrievedByChannel: byChannel, merged: retrieved.candidates.count, removedByFilter: removed,
                                ranked: kept.count, reranked: shortlist.count, failedChannels: retrieved.failures,
                                pipelineVersion: version, ranker: rankerName)
        }
        return FeedResult(user: request.user, items: entries, explanation: explanation)
    }

    /// The ranker's click probabilities, or reciprocal-rank fusion (Σ 1/(60 + rank) over the
    /// channels that proposed an item) when no ranker is trained yet.
    func score(_ candidates: [MultiChannelRetriever.Candidate], now: Date) -> [Double] {
        guard let ranker else {
            return candidates.map { $0.provenance.reduce(0) { $0 + 1 / Double(60 + $1.rank) } }
        }
        var row: [Float] = []
        row.reserveCapacity(features.count)
        return candidates.map { candidate in
            row.removeAll(keepingCapacity: true)
            features.append(candidate, item: catalogue[candidate.item], statistics: statistics, now: now, to: &row)
            return ranker.probability(row[...])
        }
    }
}

extension FeedPipeline {
    /// The `n` most popular, or newest, available items that `excluded` does not refuse: the
    /// cold-start lists.
    public func popularItems(_ n: Int, excluding excluded: (String) -> Bool = { _ in false }) -> [String] {
        available(indexes.popular.ranking, n, excluded)
    }

    public func latestItems(_ n: Int, excluding excluded: (String) -> Bool = { _ in false }) -> [String] {
        available(indexes.latest.ranking, n, excluded)
    }

    /// Items like `item` by ItemCF (Swing where ItemCF knows none), available ones only.
    public func similarItems(to item: String) -> [ScoredItem] {
        let found = indexes.itemCF.similar(to: item)
        let neighbours = found.isEmpty ? indexes.swing.similar(to: item) : found
        return neighbours.filter { catalogue[$0.id]?.isAvailable(at: Date()) ?? false }.map { ScoredItem(item: $0.id, score: $0.similarity) }
    }

    private func available(_ ranking: [ScoredItem], _ n: Int, _ excluded: (String) -> Bool) -> [String] {
        let now = Date()
        var found: [String] = []
        for entry in ranking where found.count < n {
            if catalogue[entry.item]?.isAvailable(at: now) ?? false, !excluded(entry.item) { found.append(entry.item) }
        }
        return found
    }
}
