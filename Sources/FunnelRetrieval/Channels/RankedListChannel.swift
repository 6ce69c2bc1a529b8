import Foundation
import FunnelData

/// A channel that serves one precomputed ranking to everyone: popular, trending or latest items.
public struct RankedListChannel: RetrievalChannel {
    public let name: String
    public let ranking: [ScoredItem]

    public init(name: String, ranking: [ScoredItem]) {
        self.name = name
        self.ranking = ranking
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        Array(ranking.prefix(limit))
    }

    /// The same ranking with each item's row in `space` (see `ScoredItem.row`).
    public func placed(in space: IDInterner) -> RankedListChannel {
        RankedListChannel(name: name, ranking: ranking.map { ScoredItem(item: $0.item, score: $0.score, row: space.lookup($0.item) ?? -1) })
    }

    /// Items by weighted event count, each event decayed by 2^(−age / halfLife) at `now` (no decay
    /// when `halfLife` is nil); events after `now` are ignored. Ties go to the smaller id.
    public static func popularity(_ events: some Sequence<Event>, now: Date, halfLife: TimeInterval? = nil,
                                  weights: InterestWeights = .standard) -> [ScoredItem] {
        var scores: [String: Double] = [:]
        for event in events where event.timestamp <= now {
            let weight = weights.weight(of: event.type)
            guard weight != 0 else { continue }
            let decay = halfLife.map { exp2(-now.timeIntervalSince(event.timestamp) / $0) } ?? 1
            scores[event.itemID, default: 0] += weight * decay
        }
        return scores.map { ScoredItem(item: $0.key, score: $0.value) }
            .sorted(by: ScoredItem.bestFirst)
    }

    /// Popular items over all the events given.
    public static func popular(_ events: some Sequence<Event>, now: Date) -> RankedListChannel {
        RankedListChannel(name: "popular", ranking: popularity(events, now: now))
    }

    /// What is rising now: popularity with a short half-life (six hours by default).
    public static func trending(_ events: some Sequence<Event>, now: Date, halfLife: TimeInterval = 6 * 3600) -> RankedListChannel {
        RankedListChannel(name: "trending", ranking: popularity(events, now: now, halfLife: halfLife))
    }

    /// The newest available items; the score is the creation time in seconds.
    public static func latest(_ items: some Sequence<Item>, now: Date) -> RankedListChannel {
        let ranking = items.compactMap { item -> ScoredItem? in
            guard let created = item.createdAt, created <= now, item.isAvailable(at: now) else { return nil }
            return ScoredItem(item: item.id, score: created.timeIntervalSince1970)
        }.sorted(by: ScoredItem.bestFirst)
        return RankedListChannel(name: "latest", ranking: ranking)
    }
}
