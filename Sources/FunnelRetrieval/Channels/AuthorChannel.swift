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
    /// Similar authors considered at most (the `similar` kind), each with up to `perAuthor` items.
    public var candidateAuthors = 1_000

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

    /// The authors this channel draws from for the user, with their weights, in no order.
    func authors(for context: RetrievalContext) -> [ScoredItem] {
        var weight: [String: Double] = [:]
        for event in context.recentActions {
            guard let author = authorOf[event.itemID] else { continue }
            switch kind {
            case .followed: if event.type == .followAuthor { weight[author] = 1 }
            case .interacted, .similar: weight[author, default: 0] += weights.weight(of: event.type)
            }
        }
        if kind == .similar {
            guard let index = similarAuthors else { return [] }
            // Σ over the user's authors a of weight(a) · sim(a, b), in a dense row over the index's authors.
            let own = weight.compactMap { author, w in w > 0 ? index.ids.lookup(author).map { ($0, w) } : nil }
            var similar = [Double](repeating: 0, count: index.ids.count)
            for (a, _) in own { similar[Int(a)] = -.infinity }
            var touched: [Int32] = []
            for (a, w) in own {
                let (neighbours, sims) = index.lists.row(Int(a))
                for (b, s) in zip(neighbours, sims) where s > 0 && similar[Int(b)] != -.infinity {
                    if similar[Int(b)] == 0 { touched.append(b) }
                    similar[Int(b)] += w * Double(s)
                }
            }
            // Only the strongest `candidateAuthors` become strings; the others would never be reached.
            var top = TopK()
            for b in touched { top.add(Float(similar[Int(b)]), b) }
            let (best, scores) = top.best(candidateAuthors)
            return zip(best, scores).map { ScoredItem(item: index.ids.id(of: $0), score: Double($1)) }
        }
        return weight.compactMap { $0.value > 0 ? ScoredItem(item: $0.key, score: $0.value) : nil }
    }

    /// The strongest authors' items in turn. An author contributes at least nothing, so the best
    /// `limit` authors usually suffice; the rest are ranked only when they do not.
    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let authors = authors(for: context)
        var result: [ScoredItem] = []
        var taken = 0
        for pass in 0..<2 {
            let ranked = authors.best(pass == 0 ? limit : authors.count)
            for author in ranked.dropFirst(taken) {
                let items = (itemsOf[author.item] ?? []).lazy.filter { !context.actedOn.contains($0.item) }
                for item in items.prefix(perAuthor) {
                    result.append(ScoredItem(item: item.item, score: author.score))
                    if result.count == limit { return result }
                }
            }
            taken = ranked.count
            if taken == authors.count { break }
        }
        return result
    }
}
