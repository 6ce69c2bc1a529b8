import Foundation
import FunnelData

/// An item a channel proposes, with the channel's own score (comparable only within the channel).
public struct ScoredItem: Sendable, Hashable {
    public var item: String
    public var score: Double

    public init(item: String, score: Double) {
        self.item = item
        self.score = score
    }

    /// Ranking order: higher score first, ties to the smaller id, so a ranking is the same on every run.
    public static func bestFirst(_ a: ScoredItem, _ b: ScoredItem) -> Bool {
        (a.score, b.item) > (b.score, a.item)
    }
}

extension Array where Element == ScoredItem {
    /// The best `limit`, in `bestFirst` order, as `sorted(by:).prefix(limit)` would give them, but
    /// sorting only those scoring at least the `limit`-th best score (found by quickselect).
    public func best(_ limit: Int) -> [ScoredItem] {
        guard count > limit else { return sorted(by: ScoredItem.bestFirst) }
        guard limit > 0 else { return [] }
        // Scores as integers in the same order (sign bit flipped, negatives inverted), for quickselect.
        let keys = map { item -> UInt64 in
            let bits = item.score.bitPattern
            return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        }
        var selected = keys
        TopK.select(&selected, limit)
        let threshold = selected[..<limit].min()!
        let kept = indices.filter { keys[$0] >= threshold }.map { self[$0] }
        return Array(kept.sorted(by: ScoredItem.bestFirst).prefix(limit))
    }
}

/// What channels know about the request: who asks, when, and what they did last.
public struct RetrievalContext: Sendable {
    public var userID: String
    public var now: Date
    /// The user's last actions, newest first (the LastN index).
    public var recentActions: [Event] {
        didSet { (actedOn, hidden) = Self.itemSets(recentActions) }
    }
    /// Where the user is: the request's position, else their home.
    public var location: GeoPoint?
    /// The items of `recentActions`, which channels leave out, and those the user hid; computed
    /// once per request rather than per candidate.
    public private(set) var actedOn: Set<String>
    public private(set) var hidden: Set<String>

    public init(userID: String, now: Date, recentActions: [Event] = [], location: GeoPoint? = nil) {
        self.userID = userID
        self.now = now
        self.recentActions = recentActions
        self.location = location
        (actedOn, hidden) = Self.itemSets(recentActions)
    }

    private static func itemSets(_ actions: [Event]) -> (Set<String>, Set<String>) {
        (Set(actions.map(\.itemID)), Set(actions.lazy.filter { $0.type == .hide }.map(\.itemID)))
    }
}

/// One source of candidates: ItemCF, Swing, popular, geohash, …
public protocol RetrievalChannel: Sendable {
    var name: String { get }
    /// Up to `limit` items, best first.
    func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem]
}

/// Decides whether a candidate may be shown to this user now.
public protocol CandidateFilter: Sendable {
    func allows(_ item: String, in context: RetrievalContext) -> Bool
}
