import FunnelData

/// UserCF online: the user's most similar users (offline, `UserCF.similarities`) and what they
/// liked lately (the LastN index, current to the last event): score(u, i) = Σ_v sim(u, v) · like(v, i)
/// over the neighbours' recent actions, leaving out what the user already acted on.
public struct UserToItemChannel: RetrievalChannel {
    public let name: String
    public let index: NeighbourIndex
    /// The neighbours' recent actions; those on the items interned there (`recent.items`) are
    /// scored in a dense row without hashing, the others in a dictionary.
    public let recent: LastNIndex
    public var weights: InterestWeights
    /// How many of the user's nearest users contribute.
    public var neighbours: Int

    public init(index: NeighbourIndex, recent: LastNIndex, weights: InterestWeights = .standard, neighbours: Int = 50) {
        name = index.model
        self.index = index
        self.recent = recent
        self.weights = weights
        self.neighbours = neighbours
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        guard let user = index.ids.lookup(context.userID) else { return [] }
        let (nearest, similarities) = index.lists.row(Int(user))
        let items = recent.items
        var scores = [Float](repeating: 0, count: items.count)
        var touched: [Int32] = [], newer: [String: Double] = [:]
        for (k, event) in context.recentActions.enumerated() {
            if let i = items.row(of: event.itemID, hint: context.rowHint(k)) { scores[Int(i)] = -.infinity }
        }
        let likeOf = EventType.allCases.map { Float(weights.weight(of: $0)) }
        for (neighbour, similarity) in zip(nearest, similarities).prefix(neighbours) {
            let (actions, compact) = recent.interned(of: index.ids.id(of: neighbour))
            // The compact actions, read in place; the events only for items newer than the indexes.
            compact.withUnsafeBufferPointer { compact in
                for k in compact.indices {
                    let like = likeOf[compact[k].type.ordinal]
                    guard like > 0 else { continue }
                    let i = compact[k].item
                    if i >= 0 {
                        guard scores[Int(i)] != -.infinity else { continue }
                        if scores[Int(i)] == 0 { touched.append(i) }
                        scores[Int(i)] += similarity * like
                    } else if !context.actedOn.contains(actions[k].itemID) {
                        newer[actions[k].itemID, default: 0] += Double(similarity * like)
                    }
                }
            }
        }
        var top = TopK()
        for i in touched { top.add(scores[Int(i)], i) }
        let (best, values) = top.best(limit)
        let known = zip(best, values).map { ScoredItem(item: items.id(of: $0), score: Double($1), row: $0) }
        return newer.isEmpty ? known : (known + newer.map { ScoredItem(item: $0.key, score: $0.value) }).best(limit)
    }
}
