import Foundation
import FunnelData
import FunnelIndex
import FunnelTensor

/// The two-tower model served as a channel: every available item's vector in an HNSW index,
/// built with the pipeline; per request, the user tower over the user's latest actions, then a
/// filtered search that leaves out what the user acted on.
public struct TwoTowerChannel: RetrievalChannel {
    public let name = "two-tower"
    public let model: TwoTower
    public let features: TwoTowerFeatures
    public let index: HNSWIndex
    /// The item of each vector in `index`.
    public let itemIDs: [String]
    private let rows: [String: Int32]
    public var weights: InterestWeights = .standard
    /// Nodes a search explores, at least the number asked for.
    public var ef = 64

    /// Embeds the items available at `now` (in batches, on the numeric core) and indexes them.
    public init(model: TwoTower, features: TwoTowerFeatures, items: [Item], now: Date,
                parameters: HNSWIndex.Parameters = HNSWIndex.Parameters(m: 16, efConstruction: 100)) {
        self.model = model
        self.features = features
        let available = items.filter { $0.isAvailable(at: now) }
        let vectors = TwoTowerTraining.itemVectors(model, items: features.itemTable(available))
        let dimension = model.configuration.item.outputDimension
        index = HNSWIndex(dimension: dimension, metric: .innerProduct, parameters: parameters, capacity: max(1, available.count))
        let scalars = vectors.scalars
        index.add(contentsOf: (0..<available.count).map { Array(scalars[($0 * dimension)..<(($0 + 1) * dimension)]) })
        itemIDs = available.map(\.id)
        rows = Dictionary(available.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The user's vector from their id and the items of their latest positive actions, newest
    /// first; nil when the model knows neither.
    public func userVector(_ user: String, history: [String]) -> [Float]? {
        guard features.knows(user: user, history: history) else { return nil }
        let table = features.userTable([(user, history)])
        return model.userVectors(table.batch([0]), in: Graph(mode: .inference)).value.scalars
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let history = context.recentActions.filter { weights.weight(of: $0.type) > 0 }.map(\.itemID)
        guard limit > 0, let query = userVector(context.userID, history: history) else { return [] }
        let excluded = Set(context.actedOn.compactMap { rows[$0] })
        let filter = excluded.isEmpty ? nil : VectorFilter(estimatedCount: index.count - excluded.count) { !excluded.contains($0) }
        return index.search(query, k: limit, ef: max(ef, limit), filter: filter)
            .map { ScoredItem(item: itemIDs[Int($0.id)], score: Double($0.score)) }
    }
}
