import Foundation
import FunnelData

/// Items written since the pipeline serving was built, so that they reach feeds within seconds
/// rather than at the next rebuild: the newest first (for the latest channel), by author (for
/// the followed-authors channel) and by place (for the nearby and same-city channels).
/// Immutable: a write makes a new one, and a feed takes the one current at its start.
public struct FreshItems: Sendable {
    /// Offered at most: the newest, by creation time. (Every written item is remembered until
    /// the next rebuild reads it from the store.)
    public static let capacity = 10_000

    /// Each item with the moment it was written.
    let written: [String: (item: Item, at: Date)]
    /// Visible items, newest first.
    public let newest: [Item]
    /// Visible items by author, newest first.
    let byAuthor: [String: [Item]]
    /// Visible located items by their `PlaceCells` key, newest first.
    let byCell: [String: [Item]]

    public init() { self.init(written: [:]) }

    init(written: [String: (item: Item, at: Date)]) {
        let visible = written.values.map(\.item).filter { !$0.isHidden }
            .sorted { ($0.createdAt ?? .distantPast, $0.id) > ($1.createdAt ?? .distantPast, $1.id) }
        let kept = visible.prefix(Self.capacity)
        newest = Array(kept)
        byAuthor = Dictionary(grouping: kept.filter { $0.authorID != nil }, by: { $0.authorID! })
        byCell = Dictionary(grouping: kept.filter { $0.location != nil }, by: { PlaceCells.key(of: $0.location!) })
        self.written = written
    }

    public var isEmpty: Bool { newest.isEmpty }

    /// The item as last written, if it was written since the build (hidden ones included).
    public func item(_ id: String) -> Item? { written[id]?.item }

    /// With `items` written at `time` (hidden ones count as written, so that an older fresh copy
    /// is not served).
    public func adding(_ items: [Item], at time: Date) -> FreshItems {
        var next = written
        for item in items { next[item.id] = (item, time) }
        return FreshItems(written: next)
    }

    /// Without what was written before `time`: a pipeline built from the store at `time` has it.
    public func dropping(writtenBefore time: Date) -> FreshItems {
        FreshItems(written: written.filter { $0.value.at >= time })
    }

    /// The newest available items as the latest channel scores them (creation time).
    public func latest(now: Date, limit: Int) -> [ScoredItem] {
        var result: [ScoredItem] = []
        for item in newest where result.count < limit {
            guard let created = item.createdAt, created <= now, item.isAvailable(at: now) else { continue }
            result.append(ScoredItem(item: item.id, score: created.timeIntervalSince1970))
        }
        return result
    }

    /// The fresh items of `authors`, newest first.
    public func items(by authors: Set<String>, now: Date, limit: Int) -> [ScoredItem] {
        var result: [ScoredItem] = []
        for author in authors.sorted() {
            for item in byAuthor[author] ?? [] where item.isAvailable(at: now) {
                result.append(ScoredItem(item: item.id, score: item.createdAt?.timeIntervalSince1970 ?? 0))
            }
        }
        return Array(result.sorted(by: ScoredItem.bestFirst).prefix(limit))
    }

    /// The fresh items within the geohash cell of `precision` (at least `PlaceCells.precision`)
    /// around `location` and its eight neighbours, as `GeohashChannel` reads them, newest first.
    public func items(near location: GeoPoint, precision: Int, now: Date, limit: Int) -> [ScoredItem] {
        let (cells, keys) = PlaceCells.neighbourhood(of: location, precision: precision)
        var result: [ScoredItem] = []
        for key in keys {
            for item in byCell[key] ?? [] where item.isAvailable(at: now) && PlaceCells.contains(cells, item.location!, precision: precision) {
                result.append(ScoredItem(item: item.id, score: item.createdAt?.timeIntervalSince1970 ?? 0))
            }
        }
        return Array(result.sorted(by: ScoredItem.bestFirst).prefix(limit))
    }
}

/// A fresh-items source for a feed, under the name of the channel it extends (`latest`,
/// `author-followed`, or a geohash channel's), so that the ranker reads it in that channel's
/// column.
public struct FreshItemsChannel: RetrievalChannel {
    public enum Kind: Sendable {
        case latest
        /// `followed`: the ids of the authors the user follows.
        case followedAuthors(followed: @Sendable (RetrievalContext) -> Set<String>)
        /// Near the request's location, as the geohash channel `name` of `precision` finds items.
        case located(name: String, precision: Int)
    }

    public let name: String
    let fresh: FreshItems
    let kind: Kind

    public init(_ fresh: FreshItems, kind: Kind) {
        (self.fresh, self.kind) = (fresh, kind)
        switch kind {
        case .latest: name = "latest"
        case .followedAuthors: name = "author-followed"
        case .located(let channel, _): name = channel
        }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let found: [ScoredItem]
        switch kind {
        case .latest:
            found = fresh.latest(now: context.now, limit: limit)
        case .followedAuthors(let followed):
            let authors = followed(context)
            found = authors.isEmpty ? [] : fresh.items(by: authors, now: context.now, limit: limit)
        case .located(_, let precision):
            found = context.location.map { fresh.items(near: $0, precision: precision, now: context.now, limit: limit) } ?? []
        }
        return found.filter { !context.hasActedOn($0) }
    }
}
