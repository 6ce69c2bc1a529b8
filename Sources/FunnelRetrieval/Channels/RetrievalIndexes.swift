import Foundation
import FunnelData

/// Every retrieval channel that needs no neural training, built offline from the catalogue and
/// the event log at one moment `now`, plus the LastN index that keeps them current online (and
/// the long history a ranker may search).
/// `sources` arranges them, with quotas, for a `MultiChannelRetriever`.
public struct RetrievalIndexes: Sendable {
    public struct Parameters: Sendable {
        /// Neighbours kept per item (ItemCF, Swing) and per user (UserCF).
        public var neighbours = 200
        /// Of each recent item's neighbours (ItemCF, Swing), how many a feed scores, most similar
        /// first: the long tail of 200 costs time and, on the simulated feed, adds no recall.
        public var neighboursPerItem = 50
        public var swing = Swing.Parameters()
        /// Actions kept per user in the LastN index.
        public var lastN = 50
        /// The long history's actions kept per user and the actions it keeps, or nil to keep none
        /// (a ranker's category sequence searches it).
        public var longHistory: (capacity: Int, types: Set<EventType>)?
        /// The half-life of the popularity that ranks items within a cell or an author (the quality score).
        public var qualityHalfLife: TimeInterval = 3 * 86_400
        public var trendingHalfLife: TimeInterval = 6 * 3_600
        /// The ALS channel's fit, or nil to build none.
        public var als: ImplicitALS.Parameters?
        /// The BPR channel's fit, or nil to build none.
        public var bpr: BPR.Parameters?
        /// The item2vec channel's training (over each user's positive actions in time order),
        /// or nil to build none.
        public var item2vec: Item2Vec.Parameters?

        public init() {}
    }

    /// Every item the indexes know, each with one row: those with events first, in the order
    /// of ItemCF's and Swing's ids (so their rows agree), then the rest of the catalogue. Channels
    /// tag what they propose with these rows (`ScoredItem.row`), so that serving can look items
    /// up without hashing their ids.
    public let items: IDInterner
    public let itemCF: NeighbourIndex
    public let swing: NeighbourIndex
    public let userCF: NeighbourIndex
    public let lastN: LastNIndex
    public let longHistory: LongHistoryIndex?
    public let popular: RankedListChannel
    public let trending: RankedListChannel
    public let latest: RankedListChannel
    public let nearby: GeohashChannel
    public let sameCity: GeohashChannel
    /// Items by quality, the popularity with `qualityHalfLife` that orders the nearby and
    /// author channels' lists.
    public let qualityRanking: [ScoredItem]
    public let followedAuthors: AuthorChannel
    public let interactedAuthors: AuthorChannel
    public let similarAuthors: AuthorChannel
    /// Implicit ALS over the same matrix as the neighbour channels, when asked for.
    public let als: FactorizationChannel<ImplicitALS.FoldIn>?
    /// BPR over the same matrix, when asked for.
    public let bpr: FactorizationChannel<BPR>?
    /// item2vec's nearest neighbours of each item, when asked for: an item-to-item channel.
    public let item2vec: NeighbourIndex?
    let neighboursPerItem: Int

    /// Builds every index from `items` and the `events` up to `now` (later events are ignored).
    public init(items: [Item], events: [Event], now: Date, parameters p: Parameters = Parameters()) {
        neighboursPerItem = p.neighboursPerItem
        let past = events.filter { $0.timestamp <= now }
        var builder = EventMatrixBuilder()
        for event in past { builder.add(event) }
        let matrix = builder.matrix()
        itemCF = NeighbourIndex(model: "itemcf", ids: builder.items, lists: ItemCF.similarities(matrix, k: p.neighbours))
        var swingParameters = p.swing
        swingParameters.k = p.neighbours
        swing = NeighbourIndex(model: "swing", ids: builder.items, lists: Swing.similarities(matrix, swingParameters))
        userCF = NeighbourIndex(model: "usercf", ids: builder.users, lists: UserCF.similarities(matrix, k: p.neighbours))
        var space = builder.items
        for item in items { _ = space.intern(item.id) }
        self.items = space
        lastN = LastNIndex(capacity: p.lastN, items: space)
        lastN.record(past)
        longHistory = p.longHistory.map { LongHistoryIndex(capacity: $0.capacity, types: $0.types, items: space) }
        longHistory?.record(past)

        popular = RankedListChannel.popular(past, now: now).placed(in: space)
        trending = RankedListChannel.trending(past, now: now, halfLife: p.trendingHalfLife).placed(in: space)
        latest = RankedListChannel.latest(items, now: now).placed(in: space)
        qualityRanking = RankedListChannel.popularity(past, now: now, halfLife: p.qualityHalfLife).map { ScoredItem(item: $0.item, score: $0.score, row: space.lookup($0.item) ?? -1) }
        let quality = Dictionary(uniqueKeysWithValues: qualityRanking.map { ($0.item, $0.score) })
        nearby = GeohashChannel(name: "nearby", precision: 5, items: items, quality: quality, now: now, space: space)
        sameCity = GeohashChannel(name: "same-city", precision: 4, items: items, quality: quality, now: now, space: space)
        let authorOf = Dictionary(items.compactMap { item in item.authorID.map { (item.id, $0) } }, uniquingKeysWith: { first, _ in first })
        followedAuthors = AuthorChannel(kind: .followed, items: items, quality: quality, now: now, space: space, follows: past)
        interactedAuthors = AuthorChannel(kind: .interacted, items: items, quality: quality, now: now, space: space)
        similarAuthors = AuthorChannel(kind: .similar, items: items, quality: quality, now: now, space: space,
                                       similarAuthors: AuthorChannel.similarAuthorIndex(past, authorOf: { authorOf[$0] }))
        let available = p.als == nil && p.bpr == nil ? [] : Set(items.lazy.filter { $0.isAvailable(at: now) }.map(\.id))
        als = p.als.map { FactorizationChannel(matrix: matrix, space: space, parameters: $0) { available.contains($0) } }
        bpr = p.bpr.map { FactorizationChannel(BPR(matrix, parameters: $0), space: space) { available.contains($0) } }
        item2vec = p.item2vec.map { parameters in
            var sequences = [[Int32]](repeating: [], count: builder.users.count)
            for event in past.sorted(by: { $0.timestamp < $1.timestamp }) where InterestWeights.standard.weight(of: event.type) > 0 {
                if let u = builder.users.lookup(event.userID), let i = builder.items.lookup(event.itemID) { sequences[Int(u)].append(i) }
            }
            let model = Item2Vec(sequences: sequences, itemCount: builder.items.count, parameters: parameters)
            return NeighbourIndex(model: "item2vec", ids: builder.items, lists: model.neighbours(k: p.neighbours))
        }
    }

    /// Records events as they arrive in the indexes that follow users online.
    public func record(_ events: [Event]) {
        lastN.record(events)
        longHistory?.record(events)
    }

    /// Every channel, by name.
    public var channels: [any RetrievalChannel] {
        [ItemToItemChannel(index: itemCF, lastN: lastN.capacity, perItem: neighboursPerItem),
         ItemToItemChannel(index: swing, lastN: lastN.capacity, perItem: neighboursPerItem),
         UserToItemChannel(index: userCF, recent: lastN), popular, trending, latest, nearby, sameCity,
         followedAuthors, interactedAuthors, similarAuthors] + (als.map { [$0] } ?? []) + (bpr.map { [$0] } ?? [])
            + (item2vec.map { [ItemToItemChannel(index: $0, lastN: lastN.capacity, perItem: neighboursPerItem)] } ?? [])
    }

    /// Every channel with the same quota (0 leaves them all out).
    public func sources(defaultQuota: Int = 100) -> [MultiChannelRetriever.Source] {
        channels.compactMap { channel in
            defaultQuota > 0 ? MultiChannelRetriever.Source(channel, quota: defaultQuota) : nil
        }
    }

    /// What the channels read about the user at request time: their last actions and where they are.
    public func context(for user: String, now: Date, location: GeoPoint?) -> RetrievalContext {
        let (actions, compact) = lastN.interned(of: user)
        return RetrievalContext(userID: user, now: now, recentActions: actions, rows: compact.map(\.item), location: location)
    }
}
