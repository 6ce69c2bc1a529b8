import FunnelData

/// UserCF online: the user's most similar users (offline, `UserCF.similarities`) and what they
/// liked lately (the LastN index, current to the last event): score(u, i) = Σ_v sim(u, v) · like(v, i)
/// over the neighbours' recent actions, leaving out what the user already acted on.
public struct UserToItemChannel: RetrievalChannel {
    public let name: String
    public let index: NeighbourIndex
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
        var scores: [String: Double] = [:]
        for (neighbour, similarity) in index.similar(to: context.userID).prefix(neighbours) {
            for event in recent.actions(of: neighbour) {
                let like = weights.weight(of: event.type)
                if like > 0 { scores[event.itemID, default: 0] += similarity * like }
            }
        }
        return scores.compactMap { context.actedOn.contains($0.key) ? nil : ScoredItem(item: $0.key, score: $0.value) }.best(limit)
    }
}
