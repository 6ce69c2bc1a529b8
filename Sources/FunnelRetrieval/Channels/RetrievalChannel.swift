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

/// What channels know about the request: who asks, when, and what they did last.
public struct RetrievalContext: Sendable {
    public var userID: String
    public var now: Date
    /// The user's last actions, newest first (the LastN index).
    public var recentActions: [Event]
    /// Where the user is: the request's position, else their home.
    public var location: GeoPoint?

    public init(userID: String, now: Date, recentActions: [Event] = [], location: GeoPoint? = nil) {
        self.userID = userID
        self.now = now
        self.recentActions = recentActions
        self.location = location
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
