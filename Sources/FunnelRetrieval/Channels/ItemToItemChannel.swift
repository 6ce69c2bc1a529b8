import FunnelData

/// ItemCF or Swing online: score(u, i) = Σ_j like(u, j) · sim(j, i) over the user's last N items j
/// (from their recent actions, with interest weights), leaving out what they already acted on.
public struct ItemToItemChannel: RetrievalChannel {
    public let name: String
    public let index: NeighbourIndex
    public var weights: InterestWeights
    public var lastN: Int

    public init(index: NeighbourIndex, weights: InterestWeights = .standard, lastN: Int = 50) {
        name = index.model
        self.index = index
        self.weights = weights
        self.lastN = lastN
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        var like: [Int32: Float] = [:], order: [Int32] = []
        var seen = Set<String>()
        for event in context.recentActions {
            seen.insert(event.itemID)
            let w = Float(weights.weight(of: event.type))
            guard w > 0, let j = index.ids.lookup(event.itemID) else { continue }
            if like[j] == nil {
                guard order.count < lastN else { continue }
                order.append(j)
            }
            like[j, default: 0] += w
        }
        var scores: [Int32: Float] = [:]
        for j in order {
            let (neighbours, sims) = index.lists.row(Int(j))
            for (i, s) in zip(neighbours, sims) { scores[i, default: 0] += like[j]! * s }
        }
        var top = TopK()
        for (i, s) in scores where !seen.contains(index.ids.id(of: i)) { top.add(s, i) }
        let (items, values) = top.best(limit)
        return zip(items, values).map { ScoredItem(item: index.ids.id(of: $0), score: Double($1)) }
    }
}
