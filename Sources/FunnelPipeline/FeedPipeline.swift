import Foundation
import FunnelData
import FunnelIndex
import FunnelRerank
import FunnelRetrieval
import FunnelStages

/// The feed, stage by stage: every retrieval channel (and the two-tower model, once trained)
/// with its quota, merged; filters (items no longer available, items the user acted on, items
/// already shown); the configured ranker (`Ranker`; reciprocal-rank fusion until a trained one
/// is saved); the configured reranker (`Reranker`, MMR by default) over the configured item
/// similarity (`ItemSimilarity`), and the scattering rules. The other surfaces (similar, popular,
/// latest) rerank by their own settings over the same similarity. One immutable
/// version, built from the catalogue and the event log at one moment; the server swaps in a new
/// one when models or configuration change.
public struct FeedPipeline: Sendable {
    public let version: String
    /// The moment of the catalogue and event log it was built from.
    public let builtAt: Date
    public internal(set) var configuration: PipelineConfiguration
    public let indexes: RetrievalIndexes
    /// The ranker serving: the configured one, or reciprocal-rank fusion in its place.
    public let ranker: any Ranker
    /// Why the configured ranker is not the one serving, if it is not (none trained yet, or
    /// trained on features this pipeline does not have): shown by `explain`, `/v1/ready`,
    /// `funnel recommend` and the server's log, with what to do.
    public let rankerNotice: String?
    /// The stored version of the ranker read at build (even if set aside), to notice a newer one.
    public let rankerVersion: String?
    /// The configured pre-ranker, when one is trained and its features are this pipeline's.
    public internal(set) var preRanker: RankerCut?
    public internal(set) var reranker: any Reranker
    /// The reranker of each surface that has one.
    let surfaceRerankers: [Surface: any Reranker]
    /// The likeness of items the rerankers read, by rows of the indexes' item space.
    public internal(set) var similarity: ItemSimilarity
    /// The two-tower model served as a channel, when one is trained, and its stored version.
    public let twoTower: TwoTowerChannel?
    public let twoTowerVersion: String?
    /// Every channel: the retrieval indexes' and the two-tower one.
    public let channels: [any RetrievalChannel]
    /// The channels with their quotas (a quota of 0 leaves a channel out).
    public internal(set) var sources: [MultiChannelRetriever.Source]
    let catalogue: [String: Item]
    /// The stored user records by id, which the `profile` features read.
    let userRecords: [String: User]
    /// Per row of the indexes' item space (`indexes.items`), what serving reads of the item:
    /// availability and what the scattering rules read; the ranker's features (`features`)
    /// and the similarity have their own rows in the same space. Candidates arrive with their
    /// rows, so nothing here hashes an id.
    let served: [ServedItem]
    let categoryIDs: [String: Int32]
    let authorIDs: [String: Int32]
    let features: RankingFeatures
    /// The ranker's column of each source's channel.
    var sourceColumns: [Int?]
    /// The pipeline's feature column of each column the ranker (and pre-ranker) reads, when
    /// they differ.
    let rankerColumns: [Int]?
    let preRankerColumns: [Int]?

    struct ServedItem: Sendable {
        var expiresAt: Date?
        var isHidden: Bool
        /// What the scattering rules read: the first category path's id, the author's id (by
        /// `categoryIDs` and `authorIDs`; -1: none) and the creation time (NaN: unknown).
        var category: Int32 = -1
        var author: Int32 = -1
        var created = Double.nan

        func isAvailable(at time: Date) -> Bool { !isHidden && (expiresAt.map { $0 > time } ?? true) }
    }

    /// `ranker`, `preRanker`: the trained ranker and pre-ranker of the configured kinds, if
    /// saved. Fails on a stage name the registry lacks.
    public init(version: String, configuration: PipelineConfiguration, items: [Item], users: [User] = [], events: [Event], now: Date, ranker trained: (any Ranker)?,
                rankerVersion: String? = nil, preRanker trainedPreRanker: (any Ranker)? = nil,
                twoTower: (model: TwoTower, features: TwoTowerFeatures)? = nil, twoTowerVersion: String? = nil,
                registry: StageRegistry = .standard) throws {
        self.rankerVersion = rankerVersion
        self.twoTowerVersion = twoTowerVersion
        self.version = version
        builtAt = now
        self.configuration = configuration
        var parameters = RetrievalIndexes.Parameters()
        parameters.neighboursPerItem = configuration.neighboursPerItem
        parameters.als = configuration.quota(of: "als") > 0 ? ImplicitALS.Parameters() : nil
        parameters.bpr = configuration.quota(of: "bpr") > 0 ? BPR.Parameters() : nil
        parameters.item2vec = configuration.quota(of: "item2vec") > 0 ? Item2Vec.Parameters() : nil
        if configuration.features.has(.categorySequence) {
            parameters.longHistory = (configuration.features.longHistoryLength, ExposureOutcomes.clickTypes)
        }
        indexes = RetrievalIndexes(items: items, events: events, now: now, parameters: parameters)
        let space = indexes.items
        self.twoTower = twoTower.flatMap {
            configuration.quota(of: "two-tower") > 0 ? TwoTowerChannel(model: $0.model, features: $0.features, items: items, now: now, space: space) : nil
        }
        let channels = indexes.channels + (self.twoTower.map { [$0] } ?? [])
        self.channels = channels
        sources = Self.sources(of: channels, configuration)
        catalogue = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        userRecords = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let features = RankingFeatures(spec: configuration.features, channels: channels.map(\.name), catalogue: catalogue, space: space,
                                       events: events, now: now, users: userRecords)
        self.features = features
        sourceColumns = features.columns(of: sources)
        // One row per item of the space; items with events but no catalogue entry are never served.
        var categoryIDs: [String: Int32] = [:], authorIDs: [String: Int32] = [:]
        var served: [ServedItem] = []
        served.reserveCapacity(space.count)
        for id in space.ids {
            guard let item = catalogue[id] else {
                served.append(ServedItem(expiresAt: nil, isHidden: true))
                continue
            }
            var entry = ServedItem(expiresAt: item.expiresAt, isHidden: item.isHidden)
            if let category = item.categories.first {
                entry.category = categoryIDs[category] ?? Int32(categoryIDs.count)
                categoryIDs[category] = entry.category
            }
            if let author = item.authorID {
                entry.author = authorIDs[author] ?? Int32(authorIDs.count)
                authorIDs[author] = entry.author
            }
            entry.created = item.createdAt?.timeIntervalSince1970 ?? .nan
            served.append(entry)
        }
        self.served = served
        (self.categoryIDs, self.authorIDs) = (categoryIDs, authorIDs)

        let kind = try registry.ranker(named: configuration.ranker)
        reranker = try registry.reranker(configuration.rerank)
        surfaceRerankers = try configuration.surfaces.mapValues { try registry.reranker($0) }
        similarity = Self.similarity(configuration.similarity, catalogue: catalogue, space: space, twoTower: self.twoTower)
        let names = features.names
        /// The pipeline's column of each feature a stage reads (nil when they are the same
        /// columns), or the features the pipeline lacks.
        func columns(_ stage: any Ranker) -> Result<[Int]?, StageError> {
            guard stage.featureNames != names else { return .success(nil) }
            let column = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let missing = stage.featureNames.filter { column[$0] == nil }
            return missing.isEmpty ? .success(stage.featureNames.map { column[$0]! }) : .failure(StageError(missing.prefix(3).joined(separator: ", ")))
        }
        var chosen: (any Ranker)? = trained ?? kind.untrained?(names)
        var notices: [String] = chosen == nil
            ? ["no \(configuration.ranker) ranker is trained yet: run 'funnel train ranker' (reciprocal-rank fusion serves until then)"] : []
        var rankerColumns: [Int]?
        if let ranker = chosen {
            switch columns(ranker) {
            case .success(let found): rankerColumns = found
            case .failure(let missing):
                // Trained on channels since removed (or renamed): it cannot be served.
                chosen = nil
                notices.append("the \(ranker.name) ranker was trained on features this pipeline lacks (\(missing)): "
                    + "retrain it with 'funnel train ranker' under this configuration (reciprocal-rank fusion serves until then)")
            }
        }
        self.rankerColumns = rankerColumns
        ranker = chosen ?? ReciprocalRankFusion(features: names)

        var preRanker: RankerCut?, preRankerColumns: [Int]?
        if let name = configuration.preRanker {
            let preKind = try registry.ranker(named: name)
            if let stage = trainedPreRanker ?? preKind.untrained?(names) {
                switch columns(stage) {
                case .success(let found): (preRanker, preRankerColumns) = (RankerCut(stage, fusion: configuration.fusion), found)
                case .failure(let missing):
                    notices.append("the \(name) pre-ranker was trained on features this pipeline lacks (\(missing)): retrain it with 'funnel train ranker' (the ranker scores every candidate until then)")
                }
            } else {
                notices.append("no \(name) pre-ranker is trained yet: run 'funnel train ranker' (the ranker scores every candidate until then)")
            }
        }
        (self.preRanker, self.preRankerColumns) = (preRanker, preRankerColumns)
        if configuration.similarity.vector > 0, similarity.rowsWithVectors == 0 {
            notices.append(configuration.similarity.vectors == .twoTower
                ? "no two-tower model is trained yet, so the vector part of [pipeline.similarity] counts nothing: run 'funnel train two-tower'"
                : "no item has a contentVector, so the vector part of [pipeline.similarity] counts nothing")
        }
        rankerNotice = notices.isEmpty ? nil : notices.joined(separator: "; ")
    }

    /// The similarity by `weights` of the items of `space`, with the two-tower channel's vectors.
    static func similarity(_ weights: SimilarityWeights, catalogue: [String: Item], space: IDInterner, twoTower: TwoTowerChannel?) -> ItemSimilarity {
        ItemSimilarity(items: space.ids.map { catalogue[$0] }, weights: weights) { twoTower?.itemVector(row: Int32($0)) }
    }

    /// The channels with a quota, each with it.
    static func sources(of channels: [any RetrievalChannel], _ configuration: PipelineConfiguration) -> [MultiChannelRetriever.Source] {
        channels.compactMap { channel in
            let quota = configuration.quota(of: channel.name)
            return quota > 0 ? MultiChannelRetriever.Source(channel, quota: quota) : nil
        }
    }

    /// The retriever of every feed: the sources, merged by row of the indexes' item space.
    public var retriever: MultiChannelRetriever {
        var retriever = MultiChannelRetriever(sources: sources)
        retriever.concurrent = configuration.concurrentChannels
        retriever.space = indexes.items
        return retriever
    }

    public var rankerName: String { ranker.name }
    public var itemCount: Int { catalogue.count }

    public func item(_ id: String) -> Item? { catalogue[id] }

    /// The feed for one request. Never fails: channels that fail are left out (and named with
    /// `explain`), a user with no history gets what needs none (popular, latest, nearby), and
    /// one who has seen every candidate is shown some again rather than an empty feed.
    public func feed(_ request: FeedRequest, state: LiveState) async -> FeedResult {
        let now = request.now
        let clock = ContinuousClock()
        var timings = StageTimings()
        var lap = clock.now
        func split() -> Double {
            let at = clock.now
            defer { lap = at }
            return (at - lap).seconds
        }
        let context = indexes.context(for: request.user, now: now, location: request.location)
        var retriever = self.retriever
        let cacheQuota = configuration.quota(of: state.cache.name)
        if cacheQuota > 0 { retriever.sources.append(.init(state.cache, quota: cacheQuota)) }
        // What was written since the build: engagement re-ranks the popular, trending and nearby
        // lists, and new items join the channels they extend, under those channels' names.
        for live in [state.popular, state.trending] where live.hasWrites {
            if let k = retriever.sources.firstIndex(where: { $0.channel.name == live.name }) { retriever.sources[k].channel = live }
        }
        if request.location != nil, state.quality.hasWrites {
            for k in retriever.sources.indices {
                if let geohash = retriever.sources[k].channel as? GeohashChannel { retriever.sources[k].channel = LiveGeohashChannel(geohash, quality: state.quality) }
            }
        }
        let fresh = state.freshItems
        if !fresh.isEmpty {
            let authors = indexes.followedAuthors
            // Followed in the log or lately, also through a follow of a fresh item's author.
            let followed: @Sendable (RetrievalContext) -> Set<String> = { context in
                authors.followedAuthorIDs(for: context).union(context.recentActions.lazy
                    .filter { $0.type == .followAuthor }.compactMap { fresh.item($0.itemID)?.authorID })
            }
            let kinds: [FreshItemsChannel.Kind] = [.latest, .followedAuthors(followed: followed)]
                + (request.location == nil ? [] : [indexes.nearby, indexes.sameCity].map { .located(name: $0.name, precision: $0.precision) })
            for kind in kinds {
                let channel = FreshItemsChannel(fresh, kind: kind)
                let quota = configuration.quota(of: channel.name)
                if quota > 0 { retriever.sources.append(.init(channel, quota: quota)) }
            }
        }
        let retrieved = await retriever.retrieve(for: context)
        timings.retrieve = split()
        timings.channels = retrieved.seconds

        var unavailable = 0, actedOn = 0, exposed = 0
        let live = state.view(for: request.user)
        // Kept candidates and their rows in `served` (indices, not copies of the rows).
        var kept: [MultiChannelRetriever.Candidate] = [], keptItems: [Int32] = []
        var shownBefore: [(MultiChannelRetriever.Candidate, Int32)] = []
        Prefetch.elements(of: served, at: retrieved.candidates.map(\.row))
        for candidate in retrieved.candidates {
            let item = candidate.row
            // An item written since the build is judged by what was written (a new one has no row).
            let written = fresh.isEmpty ? nil : fresh.item(candidate.item)
            let available = written?.isAvailable(at: now) ?? (item >= 0 && served[Int(item)].isAvailable(at: now))
            guard available, live.removed.isEmpty || !live.removed.contains(candidate.item) else {
                unavailable += 1
                continue
            }
            if context.hasActedOn(row: item) ?? context.actedOn.contains(candidate.item) {
                actedOn += 1
            } else if live.exposures?.contains(candidate.item, now: now) ?? false {
                exposed += 1
                if shownBefore.count < request.n { shownBefore.append((candidate, item)) }
            } else {
                kept.append(candidate)
                keptItems.append(item)
            }
        }
        // A user who has been shown everything the channels return still gets a full feed: what
        // they saw before fills the places left, in the channels' order, rather than nothing.
        for (candidate, item) in shownBefore.prefix(max(0, request.n - kept.count)) {
            kept.append(candidate)
            keptItems.append(item)
            exposed -= 1
        }

        timings.filter = split()
        let filtered = kept.count
        // Items written since the build are ranked as written (a new one with its author's statistics).
        var written: [Int: RankingFeatures.WrittenItem] = [:]
        if !fresh.isEmpty {
            for k in kept.indices { if let item = fresh.item(kept[k].item) { written[k] = features.written(item, row: keptItems[k]) } }
        }
        let scored = score(kept, items: keptItems, request: features.request(
            user: request.user, now: now, location: request.location, device: request.device, city: request.city, recentRows: context.recentRows,
            history: features.historyRows(context), longHistory: indexes.longHistory?.actions(of: request.user) ?? []),
            written: written)
        let (scores, predictions) = (scored.relevance, scored.predictions)
        timings.preRank = scored.preRankSeconds
        if scored.chosen.count < kept.count {
            kept = scored.chosen.map { kept[$0] }
            keptItems = scored.chosen.map { keptItems[$0] }
        }
        let depth = min(kept.count, request.n * configuration.rerankDepth)
        // Only the candidates that can make the shortlist are sorted.
        let threshold = depth > 0 ? scores.threshold(keeping: depth) : .infinity
        let shortlist = Array(kept.indices.filter { scores[$0] >= threshold && scores[$0].isFinite }
            .sorted { (scores[$0], kept[$1].item) > (scores[$1], kept[$0].item) }.prefix(depth))
        timings.rank = split() - timings.preRank
        let shortlistRows = shortlist.map { keptItems[$0] }
        let reranked = reranker.order(relevance: shortlist.map { scores[$0] }, n: request.n) { similarity(shortlistRows[$0], shortlistRows[$1]) }
        let order = configuration.scattering.isOff ? reranked
            : scattered(reranked, rules: configuration.scattering, count: shortlist.count, rows: shortlistRows,
                        items: shortlist.map { kept[$0].item }, fresh: fresh, n: request.n, now: now)
        let entries = order.map { position -> FeedResult.Entry in
            let k = shortlist[position], candidate = kept[k]
            var entry = FeedResult.Entry(item: candidate.item, score: scores[k])
            if request.explain {
                entry.channels = candidate.provenance.map { .init(channel: $0.channel, score: $0.score, rank: $0.rank) }
                entry.predictions = Dictionary(uniqueKeysWithValues: predictions.objectives.map { ($0.rawValue, predictions.value(k, $0)!) })
            }
            return entry
        }
        state.recordExposures(entries.map(\.item), to: request.user, at: now)
        if cacheQuota > 0 {
            // What the ranker put high but the feed had no room for waits in the user's cache.
            let shown = Set(order.map { shortlist[$0] })
            state.cache.markShown(entries.map(\.item), for: request.user)
            state.cache.add(shortlist.lazy.filter { !shown.contains($0) }.prefix(request.n).map { ScoredItem(item: kept[$0].item, score: scores[$0]) },
                            for: request.user, at: now)
        }
        timings.rerank = split()

        var explanation: FeedResult.Explanation?
        if request.explain {
            var byChannel: [String: Int] = [:]
            for candidate in retrieved.candidates { for p in candidate.provenance { byChannel[p.channel, default: 0] += 1 } }
            explanation = .init(retrievedByChannel: byChannel, merged: retrieved.candidates.count,
                                removedByFilter: ["unavailable": unavailable, "acted-on": actedOn, "exposed": exposed],
                                preRanked: filtered > kept.count ? filtered : nil, preRanker: preRanker?.name,
                                ranked: kept.count, reranked: shortlist.count, failedChannels: retrieved.failures,
                                pipelineVersion: version, ranker: rankerName, rankerNotice: rankerNotice, reranker: reranker.name,
                                stageMilliseconds: Dictionary(uniqueKeysWithValues: timings.stages.map { ($0, $1 * 1000) }),
                                channelMilliseconds: timings.channels.mapValues { $0 * 1000 })
        }
        return FeedResult(user: request.user, items: entries, explanation: explanation, isColdStart: context.recentActions.isEmpty, timings: timings)
    }

    /// What a feed for `user` would rank now (the candidates retrieved, available and not yet
    /// acted on; no exposure window) and the ranker's predictions for them: for offline studies
    /// of rankers and fusion rules.
    public func rankingCandidates(for user: String, now: Date) async -> (items: [String], predictions: Predictions) {
        let (candidates, request) = await studyCandidates(for: user, now: now)
        let scored = score(candidates, items: candidates.map(\.row), request: request)
        return (scored.chosen.map { candidates[$0].item }, scored.predictions)
    }

    /// How much of what the ranker would put first the pre-ranker keeps: of the ranker's best
    /// `top` among every candidate a feed for `user` would rank now (no cut), the share among
    /// the pre-ranker's best `keep`, for each of `cuts`. Nil without a pre-ranker, or with no
    /// more candidates than `top`.
    public func preRankRecall(for user: String, now: Date, top: Int = 50, cuts: [Int]) async -> [Double]? {
        guard let preRanker else { return nil }
        let (candidates, request) = await studyCandidates(for: user, now: now)
        guard candidates.count > top else { return nil }
        let width = features.count
        let rows = features.rows(candidates, rows: candidates.map(\.row), columns: sourceColumns, request: request)
        let relevance = configuration.fusion.fuse(ranker.predict(RankingBatch(width: width, features: rows, columns: rankerColumns)))
            .map { $0.isFinite ? $0 : -.infinity }
        let best = Set(candidates.indices.sorted { (relevance[$0], $1) > (relevance[$1], $0) }.prefix(top))
        let batch = RankingBatch(width: width, features: rows, columns: preRankerColumns)
        return cuts.map { keep in Double(preRanker.select(batch, keep: keep).filter(best.contains).count) / Double(top) }
    }

    /// The candidates a feed for `user` would rank now (retrieved, available, not acted on; no
    /// exposure window), and the request's features.
    private func studyCandidates(for user: String, now: Date) async -> ([MultiChannelRetriever.Candidate], RankingFeatures.Request) {
        let context = indexes.context(for: user, now: now, location: nil)
        let candidates = await retriever.retrieve(for: context).candidates.filter { candidate in
            candidate.row >= 0 && served[Int(candidate.row)].isAvailable(at: now)
                && !(context.hasActedOn(row: candidate.row) ?? context.actedOn.contains(candidate.item))
        }
        return (candidates, features.request(user: user, now: now, recentRows: context.recentRows, history: features.historyRows(context),
                                             longHistory: indexes.longHistory?.actions(of: user) ?? []))
    }

    /// The candidates the ranker scores (every one, or the pre-ranker's best `preRankDepth`, as
    /// indices into `candidates`; `written`: those written since the build, by index), the
    /// ranker's predictions for them, and the relevance the reranker orders by, their fusion
    /// (`[pipeline.fusion]`). A candidate whose relevance is not a finite number gets −∞ and is
    /// never served. `preRankSeconds`: how long the pre-ranker's cut took.
    func score(_ candidates: [MultiChannelRetriever.Candidate], items: [Int32], request: RankingFeatures.Request,
               written: [Int: RankingFeatures.WrittenItem] = [:])
        -> (chosen: [Int], relevance: [Double], predictions: Predictions, preRankSeconds: Double) {
        let width = features.count
        let rows = features.rows(candidates, rows: items, columns: sourceColumns, request: request, written: written)
        var chosen = Array(candidates.indices), preRankSeconds = 0.0
        if let preRanker, candidates.count > configuration.preRankDepth {
            let clock = ContinuousClock(), start = clock.now
            chosen = preRanker.select(RankingBatch(width: width, features: rows, columns: preRankerColumns), keep: configuration.preRankDepth)
            preRankSeconds = (clock.now - start).seconds
        }
        let predictions = ranker.predict(RankingBatch(width: width, features: rows, rows: chosen, columns: rankerColumns))
        return (chosen, configuration.fusion.fuse(predictions).map { $0.isFinite ? $0 : -.infinity }, predictions, preRankSeconds)
    }

    /// The ranker's features of one candidate (also for an item the catalogue lacks), for training.
    /// `features`: these statistics in place of the pipeline's (the same channels and item space).
    func features(of candidate: MultiChannelRetriever.Candidate, with features: RankingFeatures? = nil, request: RankingFeatures.Request,
                  to out: inout [Float]) {
        let row = indexes.items.row(of: candidate.item, hint: candidate.row) ?? -1
        (features ?? self.features).append(candidate, row: row, columns: sourceColumns, request: request, to: &out)
    }

}

extension FeedPipeline {
    /// The `n` most popular available items that `excluded` does not refuse, with the engagement
    /// written since the build (`live`) counted: a cold-start list.
    public func popularItems(_ n: Int, live: LiveRanking? = nil, excluding excluded: (String) -> Bool = { _ in false }) -> [String] {
        guard let live, live.hasWrites else { return available(indexes.popular.ranking, n, excluded) }
        let listed = available(live.ranked(limit: .max), n, excluded)
        let known = Set(listed)
        return listed + available(indexes.popular.ranking, n - listed.count, { excluded($0) || known.contains($0) })
    }

    /// The newest available items: those written since the build (`fresh`) before the rest.
    public func latestItems(_ n: Int, fresh: FreshItems = FreshItems(), excluding excluded: (String) -> Bool = { _ in false }) -> [String] {
        let written = fresh.latest(now: Date(), limit: n).map(\.item).filter { !excluded($0) }
        let known = Set(written)
        return written + available(indexes.latest.ranking, n, { excluded($0) || known.contains($0) }).prefix(n - written.count)
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
