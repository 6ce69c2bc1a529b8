import Foundation
import FunnelData

/// Items from authors the user is close to, each author contributing their best recent items.
///
/// - `followed`: authors the user followed (a follow-author event on one of their items), in
///   the log it was built from (`follows`) or among their latest actions since;
/// - `interacted`: authors of items the user engaged with, weighted by the interest weights;
/// - `similar`: authors whose audiences overlap those of the user's interacted authors, from an
///   author-to-author index (ItemCF over authors: users × authors, built offline).
public struct AuthorChannel: RetrievalChannel {
    public enum Kind: String, Sendable { case followed, interacted, similar }

    public let name: String
    public let kind: Kind
    /// Item → its author (an index among the catalogue's authors), by id and, when built with an
    /// item space, by the item's row there (−1 for items without one), so that the user's actions
    /// resolve without hashing; the context's rows are taken to be of that same space, as they
    /// are when both come from one `RetrievalIndexes`.
    let authorOf: [String: Int32]
    let authorOfRow: [Int32]
    /// Author → their available items, best first.
    let itemsOf: [[ScoredItem]]
    let similarAuthors: NeighbourIndex?
    /// The `followed` kind: each user's followed authors in the log the channel was built from,
    /// however long ago (their latest actions hold only the last few dozen).
    let followedBy: [String: [Int32]]
    /// Each author's id, by index.
    let authorNames: [String]
    /// Each author's row in `similarAuthors` and each row's author (−1 where the other lacks it).
    let similarRowOf: [Int32]
    let authorOfSimilarRow: [Int32]
    public var weights: InterestWeights = .standard
    /// Items taken from each author.
    public var perAuthor = 5
    /// Similar authors considered at most (the `similar` kind), each with up to `perAuthor` items.
    public var candidateAuthors = 1_000

    /// `quality` ranks an author's items (e.g. decayed popularity); only items available at `now`
    /// are kept. Items are tagged with their rows in `space` when one is given.
    /// `follows`: the log's events, of which the `followed` kind keeps the follow-author ones.
    public init(kind: Kind, items: some Sequence<Item>, quality: [String: Double], now: Date, space: IDInterner? = nil,
                similarAuthors: NeighbourIndex? = nil, follows: some Sequence<Event> = [Event]()) {
        name = "author-" + kind.rawValue
        self.kind = kind
        let authored = items.filter { $0.authorID != nil }
        // Authors indexed in the order of their ids, so that ties between authors go to the smaller id.
        let authors = try! IDInterner(ids: Set(authored.map { $0.authorID! }).sorted())
        var authorOf: [String: Int32] = [:], itemsOf = [[ScoredItem]](repeating: [], count: authors.count)
        for item in authored {
            let author = authors.lookup(item.authorID!)!
            authorOf[item.id] = author
            guard item.isAvailable(at: now) else { continue }
            itemsOf[Int(author)].append(ScoredItem(item: item.id, score: quality[item.id] ?? 0, row: space?.lookup(item.id) ?? -1))
        }
        var authorOfRow = [Int32](repeating: -1, count: space?.count ?? 0)
        if let space {
            for (item, author) in authorOf { if let row = space.lookup(item) { authorOfRow[Int(row)] = author } }
        }
        var followedBy: [String: Set<Int32>] = [:]
        if kind == .followed {
            for event in follows where event.type == .followAuthor && event.timestamp <= now {
                if let author = authorOf[event.itemID] { followedBy[event.userID, default: []].insert(author) }
            }
        }
        self.followedBy = followedBy.mapValues { $0.sorted() }
        authorNames = authors.ids
        self.authorOf = authorOf
        self.authorOfRow = authorOfRow
        self.itemsOf = itemsOf.map { $0.sorted(by: ScoredItem.bestFirst) }
        self.similarAuthors = similarAuthors
        authorOfSimilarRow = similarAuthors?.ids.ids.map { authors.lookup($0) ?? -1 } ?? []
        var similarRowOf = [Int32](repeating: -1, count: authors.count)
        for (row, author) in authorOfSimilarRow.enumerated() where author >= 0 { similarRowOf[Int(author)] = Int32(row) }
        self.similarRowOf = similarRowOf
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

    /// The author of the `k`-th recent action's item.
    private func author(ofAction k: Int, in context: RetrievalContext) -> Int32? {
        let hint = context.rowHint(k)
        if hint >= 0, Int(hint) < authorOfRow.count { return authorOfRow[Int(hint)] >= 0 ? authorOfRow[Int(hint)] : nil }
        return authorOf[context.recentActions[k].itemID]
    }

    /// The ids of the authors the user follows, as the `followed` kind knows them (the log it
    /// was built from and the latest actions), for channels of items it has not indexed.
    public func followedAuthorIDs(for context: RetrievalContext) -> Set<String> {
        var followed = Set((followedBy[context.userID] ?? []).map { authorNames[Int($0)] })
        for (k, event) in context.recentActions.enumerated() where event.type == .followAuthor {
            if let author = author(ofAction: k, in: context) { followed.insert(authorNames[Int(author)]) }
        }
        return followed
    }

    /// The authors this channel draws from for the user, with their weights, in no order.
    func authors(for context: RetrievalContext) -> TopK {
        var weight: [Int32: Double] = [:]
        if kind == .followed { for author in followedBy[context.userID] ?? [] { weight[author] = 1 } }
        for (k, event) in context.recentActions.enumerated() {
            guard let author = author(ofAction: k, in: context) else { continue }
            switch kind {
            case .followed: if event.type == .followAuthor { weight[author] = 1 }
            case .interacted, .similar: weight[author, default: 0] += weights.weight(of: event.type)
            }
        }
        var top = TopK()
        if kind == .similar {
            guard let index = similarAuthors else { return top }
            // Σ over the user's authors a of weight(a) · sim(a, b), in a dense row over the index's authors.
            let own = weight.compactMap { author, w in w > 0 && similarRowOf[Int(author)] >= 0 ? (similarRowOf[Int(author)], w) : nil }
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
            // Only the strongest `candidateAuthors` are kept; the others would never be reached.
            for b in touched where authorOfSimilarRow[Int(b)] >= 0 { top.add(Float(similar[Int(b)]), authorOfSimilarRow[Int(b)]) }
            top.keep(candidateAuthors)
            return top
        }
        for (author, w) in weight where w > 0 { top.add(Float(w), author) }
        return top
    }

    /// The strongest authors' items in turn. An author contributes at least nothing, so the best
    /// `limit` authors usually suffice; the rest are ranked only when they do not.
    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let authors = authors(for: context)
        var result: [ScoredItem] = []
        var taken = 0
        for pass in 0..<2 {
            let (ranked, scores) = authors.best(pass == 0 ? limit : authors.count)
            for (author, score) in zip(ranked, scores).dropFirst(taken) {
                for item in itemsOf[Int(author)].lazy.filter({ !context.hasActedOn($0) }).prefix(perAuthor) {
                    result.append(ScoredItem(item: item.item, score: Double(score), row: item.row))
                    if result.count == limit { return result }
                }
            }
            taken = ranked.count
            if taken == authors.count { break }
        }
        return result
    }
}
