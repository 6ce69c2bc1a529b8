import Foundation
import FunnelData

/// Items from authors the user is close to, each author contributing their best recent items.
///
/// - `followed`: authors the user followed (a follow-author event on one of their items);
/// - `interacted`: authors of items the user engaged with, weighted by the interest weights;
/// - `similar`: authors whose audiences overlap those of the user's interacted authors, from an
///   author-to-author index (ItemCF over authors: users × authors, built offline).
public struct AuthorChannel: RetrievalChannel {
    public enum Kind: String, Sendable { case followed, interacted, similar }

    public let name: String
    public let kind: Kind
    /// Item → author, for resolving the authors of the user's actions.
    let authorOf: [String: String]
    /// Author → their available items, best first.
    let itemsOf: [String: [ScoredItem]]
    let similarAuthors: NeighbourIndex?
    public var weights: InterestWeights = .standard
    /// Items taken from each author.
    public var perAuthor = 5

    /// `quality` ranks an author's items (e.g. decayed popularity); only items available at `now` are kept.
    public init(kind: Kind, items: some Sequence<Item>, quality: [String: Double], now: Date, similarAuthors: NeighbourIndex? = nil) {
        name = "author-" + kind.rawValue
        self.kind = kind
        var authorOf: [String: String] = [:], itemsOf: [String: [ScoredItem]] = [:]
        for item in items {
            guard let author = item.authorID else { continue }
            authorOf[item.id] = author
            guard item.isAvailable(at: now) else { continue }
            itemsOf[author, default: []].append(ScoredItem(item: item.id, score: quality[item.id] ?? 0))
        }
        self.authorOf = authorOf
        self.itemsOf = itemsOf.mapValues { $0.sorted(by: ScoredItem.bestFirst) }
        self.similarAuthors = similarAuthors
    }

    /// The author-to-author index of the `similar` kind: ItemCF on the users × authors matrix, each
    /// user's events counted on the author of the item.
    public static func similarAuthorIndex(_ events: some Sequence<Event>, authorOf: (String) -> String?, k: Int = 50) -> NeighbourIndex {
        var builder = EventMatrixBuilder()
        for event in events {
            guard let author = authorOf(event.itemID) else { continue }
            var byAuthor = event
            byAuthor.itemID = author
            builder.add(byAuthor)
        }
        return NeighbourIndex(model: "similar-authors", ids: builder.items, lists: ItemCF.similarities(builder.matrix(), k: k))
    }

    /// The authors this channel draws from for the user, with their weights, strongest first.
    func authors(for context: RetrievalContext) -> [(author: String, weight: Double)] {
        var weight: [String: Double] = [:]
        for event in context.recentActions {
            guard let author = authorOf[event.itemID] else { continue }
            switch kind {
            case .followed: if event.type == .followAuthor { weight[author] = 1 }
            case .interacted, .similar: weight[author, default: 0] += weights.weight(of: event.type)
            }
        }
        if kind == .similar, let index = similarAuthors {
            var similar: [String: Double] = [:]
            for (author, w) in weight where w > 0 {
                for neighbour in index.similar(to: author) where weight[neighbour.id] == nil {
                    similar[neighbour.id, default: 0] += w * neighbour.similarity
                }
            }
            weight = similar
        }
        return weight.filter { $0.value > 0 }.map { ($0.key, $0.value) }.sorted { ($0.weight, $1.author) > ($1.weight, $0.author) }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let seen = Set(context.recentActions.map(\.itemID))
        var result: [ScoredItem] = []
        for (author, weight) in authors(for: context) {
            for item in (itemsOf[author] ?? []).lazy.filter({ !seen.contains($0.item) }).prefix(perAuthor) {
                result.append(ScoredItem(item: item.item, score: weight))
                if result.count == limit { return result }
            }
        }
        return result
    }
}
