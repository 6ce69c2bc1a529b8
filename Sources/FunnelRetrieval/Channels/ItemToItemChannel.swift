import FunnelData

/// ItemCF or Swing online: score(u, i) = Σ_j like(u, j) · sim(j, i) over the user's last N items j
/// (from their recent actions, with interest weights), leaving out what they already acted on.
public struct ItemToItemChannel: RetrievalChannel {
    public let name: String
    public let index: NeighbourIndex
    public var weights: InterestWeights
    public var lastN: Int
    /// How many of each recent item's neighbours, most similar first, are scored.
    public var perItem: Int

    public init(index: NeighbourIndex, weights: InterestWeights = .standard, lastN: Int = 50, perItem: Int = .max) {
        name = index.model
        self.index = index
        self.weights = weights
        self.lastN = lastN
        self.perItem = perItem
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        // The last N distinct items with their summed interest, in recency order.
        var like: [Int32: Float] = [:], order: [Int32] = []
        for (k, event) in context.recentActions.enumerated() {
            let w = Float(weights.weight(of: event.type))
            guard w > 0, let j = index.ids.row(of: event.itemID, hint: context.rowHint(k)) else { continue }
            if like[j] == nil {
                guard order.count < lastN else { continue }
                order.append(j)
            }
            like[j, default: 0] += w
        }
        guard !order.isEmpty else { return [] }
        var scores = ScoreRow(count: index.ids.count)
        for (k, event) in context.recentActions.enumerated() {
            if let i = index.ids.row(of: event.itemID, hint: context.rowHint(k)) { scores.exclude(i) }
        }
        for j in order {
            let weight = like[j]!
            let (neighbours, sims) = index.lists.row(Int(j))
            for (i, s) in zip(neighbours.prefix(perItem), sims.prefix(perItem)) where s > 0 { scores.add(weight * s, to: i) }
        }
        let (items, values) = scores.best(limit)
        return zip(items, values).map { ScoredItem(item: index.ids.id(of: $0), score: Double($1), row: $0) }
    }
}
