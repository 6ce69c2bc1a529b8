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
    /// Each indexed user's slot in `recent` (−1 for one without actions there yet), resolved
    /// once here rather than by id for fifty neighbours per request.
    let slotOfRow: [Int32]

    public init(index: NeighbourIndex, recent: LastNIndex, weights: InterestWeights = .standard, neighbours: Int = 50) {
        name = index.model
        self.index = index
        self.recent = recent
        self.weights = weights
        self.neighbours = neighbours
        slotOfRow = index.ids.ids.map { recent.slot(of: $0) ?? -1 }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        guard let user = index.ids.lookup(context.userID) else { return [] }
        let (nearest, similarities) = index.lists.row(Int(user))
        let items = recent.items
        var scores = ScoreRow(count: items.count)
        var newer: [String: Double] = [:]
        for (k, event) in context.recentActions.enumerated() {
            if let i = items.row(of: event.itemID, hint: context.rowHint(k)) { scores.exclude(i) }
        }
        let likeOf = EventType.allCases.map { Float(weights.weight(of: $0)) }
        let chosen = Array(zip(nearest, similarities).prefix(neighbours))
        let slots = chosen.map { neighbour, _ in
            slotOfRow[Int(neighbour)] >= 0 ? slotOfRow[Int(neighbour)] : recent.slot(of: index.ids.id(of: neighbour)) ?? -1
        }
        let (actions, ranges, unindexed) = recent.compactActions(of: slots)
        var nextUnindexed = 0
        actions.withUnsafeBufferPointer { actions in
            for (n, (_, similarity)) in chosen.enumerated() {
                for k in ranges[n] {
                    let like = likeOf[actions[k].type.ordinal]
                    let i = actions[k].item
                    if i >= 0 {
                        if like > 0 { scores.add(similarity * like, to: i) }
                    } else {
                        // An item newer than the indexes, by id.
                        let item = unindexed[nextUnindexed].item
                        nextUnindexed += 1
                        guard like > 0, !context.actedOn.contains(item) else { continue }
                        newer[item, default: 0] += Double(similarity * like)
                    }
                }
            }
        }
        let (best, values) = scores.best(limit)
        let known = zip(best, values).map { ScoredItem(item: items.id(of: $0), score: Double($1), row: $0) }
        return newer.isEmpty ? known : (known + newer.map { ScoredItem(item: $0.key, score: $0.value) }).best(limit)
    }
}
