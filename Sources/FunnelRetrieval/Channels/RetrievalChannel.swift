import Foundation
import FunnelData

/// An item a channel proposes, with the channel's own score (comparable only within the channel).
public struct ScoredItem: Sendable, Hashable {
    public var item: String
    public var score: Double
    /// The item's row in the item space of the indexes the channel was built with
    /// (`RetrievalIndexes.items`), −1 when the channel does not know it: a hint that spares the
    /// pipeline from hashing the id, checked against it before use. Not part of equality.
    public var row: Int32

    public init(item: String, score: Double, row: Int32 = -1) {
        self.item = item
        self.score = score
        self.row = row
    }

    public static func == (a: ScoredItem, b: ScoredItem) -> Bool { a.item == b.item && a.score == b.score }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(item)
        hasher.combine(score)
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
        let threshold = map(\.score).threshold(keeping: limit)
        return Array(filter { $0.score >= threshold }.sorted(by: ScoredItem.bestFirst).prefix(limit))
    }
}

extension Array where Element == Double {
    /// The `limit`-th largest value (0 < `limit` ≤ `count`): every value at least this large,
    /// sorted, starts with the best `limit`. Found by quickselect, so that only those are sorted.
    public func threshold(keeping limit: Int) -> Double {
        precondition(limit > 0 && limit <= count, "keeping \(limit) of \(count)")
        // Values as integers in the same order (sign bit flipped, negatives inverted).
        var keys = map { value -> UInt64 in
            let bits = value.bitPattern
            return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        }
        TopK.select(&keys, limit)
        let key = keys[..<limit].min()!
        return Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }
}

/// What channels know about the request: who asks, when, and what they did last.
public struct RetrievalContext: Sendable {
    public var userID: String
    public var now: Date
    /// The user's last actions, newest first (the LastN index).
    public var recentActions: [Event] {
        didSet {
            (actedOn, hidden) = Self.itemSets(recentActions)
            (recentRows, actedOnRows) = ([], nil)
        }
    }
    /// Where the user is: the request's position, else their home.
    public var location: GeoPoint?
    /// The items of `recentActions`, which channels leave out, and those the user hid; computed
    /// once per request rather than per candidate.
    public private(set) var actedOn: Set<String>
    public private(set) var hidden: Set<String>
    /// Each recent action's item row in the indexes' item space (−1 outside it), when the
    /// context came from those indexes (empty otherwise): hints for `IDInterner.row(of:hint:)`.
    public private(set) var recentRows: [Int32] = []
    /// The rows of the acted-on items, sorted, when the context came from the indexes (nil
    /// otherwise); items outside the item space are only in `actedOn`.
    public private(set) var actedOnRows: [Int32]?

    public init(userID: String, now: Date, recentActions: [Event] = [], location: GeoPoint? = nil) {
        self.userID = userID
        self.now = now
        self.recentActions = recentActions
        self.location = location
        (actedOn, hidden) = Self.itemSets(recentActions)
    }

    /// A context whose actions carry their rows in an item space (−1 for items outside it).
    public init(userID: String, now: Date, recentActions: [Event], rows: [Int32], location: GeoPoint?) {
        self.init(userID: userID, now: now, recentActions: recentActions, location: location)
        precondition(rows.count == recentActions.count, "one row per action")
        recentRows = rows
        actedOnRows = Array(Set(rows.filter { $0 >= 0 })).sorted()
    }

    /// The row hint of the `k`-th recent action (−1 when unknown).
    public func rowHint(_ k: Int) -> Int32 { recentRows.isEmpty ? -1 : recentRows[k] }

    /// Whether the user acted on `item`: by its row when both it and the context have rows in
    /// the same indexes' item space, else by its id.
    public func hasActedOn(_ item: ScoredItem) -> Bool {
        guard item.row >= 0, let rows = actedOnRows else { return actedOn.contains(item.item) }
        return rows.sortedContains(item.row)
    }

    /// Whether the user acted on the item of `row`, when the context has rows.
    public func hasActedOn(row: Int32) -> Bool? {
        actedOnRows.map { $0.sortedContains(row) }
    }

    private static func itemSets(_ actions: [Event]) -> (Set<String>, Set<String>) {
        (Set(actions.map(\.itemID)), Set(actions.lazy.filter { $0.type == .hide }.map(\.itemID)))
    }
}

extension RandomAccessCollection where Element: Comparable, Index == Int {
    /// Whether this collection, sorted ascending, holds `element` (a binary search).
    @inline(__always)
    func sortedContains(_ element: Element) -> Bool {
        var (low, high) = (startIndex, endIndex)
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < element { low = mid + 1 } else { high = mid }
        }
        return low < endIndex && self[low] == element
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
