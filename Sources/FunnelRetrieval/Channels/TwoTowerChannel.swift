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
    /// The item of each vector in `index`, and its row in the item space given at build (−1 without one).
    public let itemIDs: [String]
    let itemRows: [Int32]
    /// The vector of each row of that item space (−1 for items not indexed), to leave out what
    /// the user acted on without hashing ids; `vectorOf` does it by id otherwise.
    private let vectorOfRow: [Int32]
    private let vectorOf: [String: Int32]
    public var weights: InterestWeights = .standard
    /// Nodes a search explores, at least the number asked for.
    public var ef = 64

    /// Embeds the items available at `now` (in batches, on the numeric core) and indexes them;
    /// what it proposes carries its row in `space` when one is given (`RetrievalIndexes.items`).
    public init(model: TwoTower, features: TwoTowerFeatures, items: [Item], now: Date, space: IDInterner? = nil,
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
        vectorOf = Dictionary(available.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        itemRows = itemIDs.map { space?.lookup($0) ?? -1 }
        var vectorOfRow = [Int32](repeating: -1, count: space?.count ?? 0)
        for (vector, row) in itemRows.enumerated() where row >= 0 { vectorOfRow[Int(row)] = Int32(vector) }
        self.vectorOfRow = vectorOfRow
    }

    /// The item tower's vector of the item at `row` of the item space, if this channel indexed it.
    public func itemVector(row: Int32) -> [Float]? {
        guard row >= 0, Int(row) < vectorOfRow.count, vectorOfRow[Int(row)] >= 0 else { return nil }
        return index.vector(vectorOfRow[Int(row)])
    }

    /// The user's vector from their id and the items of their latest positive actions, newest
    /// first; nil when the model knows neither.
    public func userVector(_ user: String, history: [String]) -> [Float]? {
        guard features.knows(user: user, history: history) else { return nil }
        let table = features.userTable([(user, history)])
        return Workspace.borrow { model.userVectors(table.batch([0]), in: $0).scalars }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let history = context.recentActions.filter { weights.weight(of: $0.type) > 0 }.map(\.itemID)
        guard limit > 0, let query = userVector(context.userID, history: history) else { return [] }
        return index.search(query, k: limit, ef: ef, excluding: Set(excludedVectors(context)))
            .map { ScoredItem(item: itemIDs[Int($0.id)], score: Double($0.score), row: itemRows[Int($0.id)]) }
    }

    /// The vectors of the items the user acted on: by row when the context has rows of the same
    /// item space (every indexed item has one there, both being read from one catalogue), else by id.
    private func excludedVectors(_ context: RetrievalContext) -> [Int32] {
        guard let rows = context.actedOnRows, !vectorOfRow.isEmpty else { return context.actedOn.compactMap { vectorOf[$0] } }
        return HNSWIndex.vectors(ofRows: rows, vectorOfRow)
    }
}
