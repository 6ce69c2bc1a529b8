import Foundation
import FunnelData
import FunnelIndex

/// A matrix factorisation (implicit ALS, BPR) served as a channel. Built with the pipeline
/// from the event matrix of the neighbour channels: every available item's vector goes into
/// an HNSW index (inner product). Per request the user's vector is folded in from their
/// latest actions against the fixed item vectors (`FoldInFactorization`).
public struct FactorizationChannel<Model: FoldInFactorization>: RetrievalChannel {
    public var name: String { Model.channelName }
    public let model: Model
    public let index: HNSWIndex
    /// The model row (the item-space row) of each indexed vector, and the vector of each model
    /// row (−1: not indexed, the item being unavailable or unknown to the catalogue).
    private let rowOfVector: [Int32]
    private let vectorOfRow: [Int32]
    private let itemIDs: [String]
    public var weights: InterestWeights
    public var foldInSteps = Model.defaultFoldInSteps
    public var ef = 64

    /// Serves `model`, fitted on a matrix whose item rows are the first rows of `space` (as the
    /// neighbour channels' are), indexing the items that `isAvailable` allows.
    public init(_ model: Model, space: IDInterner, weights: InterestWeights = .standard, isAvailable: (String) -> Bool,
                index indexParameters: HNSWIndex.Parameters = HNSWIndex.Parameters(m: 16, efConstruction: 100)) {
        precondition(model.itemCount <= space.count, "FactorizationChannel: the model's items must be rows of the item space")
        self.model = model
        self.weights = weights
        let rows = (0..<model.itemCount).filter { isAvailable(space.ids[$0]) }
        rowOfVector = rows.map(Int32.init)
        var vectorOfRow = [Int32](repeating: -1, count: model.itemCount)
        for (vector, row) in rows.enumerated() { vectorOfRow[row] = Int32(vector) }
        self.vectorOfRow = vectorOfRow
        itemIDs = rows.map { space.ids[$0] }
        let vectors = rows.map { model.indexedVector(ofItem: $0) }
        index = HNSWIndex(dimension: model.indexedDimension, metric: .innerProduct,
                          parameters: indexParameters, capacity: max(1, rows.count))
        index.add(contentsOf: vectors)
    }

    /// The user's query from `actions` (item rows and interest weights, newest first; rows
    /// outside the model skipped): nil when none is known to the model.
    public func foldIn(_ actions: [(row: Int32, weight: Double)]) -> [Float]? {
        model.foldIn(actions.map { (row: $0.row, weight: Float($0.weight)) }, steps: foldInSteps)
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        guard limit > 0, !context.recentRows.isEmpty else { return [] }
        let actions = context.recentActions.indices.map { (row: context.recentRows[$0], weight: weights.weight(of: context.recentActions[$0].type)) }
        guard let query = foldIn(actions) else { return [] }
        let excluded = Set(HNSWIndex.vectors(ofRows: context.actedOnRows ?? [], vectorOfRow))
        return index.search(query, k: limit, ef: ef, excluding: excluded)
            .map { ScoredItem(item: itemIDs[Int($0.id)], score: Double($0.score), row: rowOfVector[Int($0.id)]) }
    }
}

extension FactorizationChannel where Model == ImplicitALS.FoldIn {
    /// Fits implicit ALS on `matrix` and serves it.
    public init(matrix: InteractionMatrix, space: IDInterner, parameters: ImplicitALS.Parameters = ImplicitALS.Parameters(),
                weights: InterestWeights = .standard, isAvailable: (String) -> Bool) {
        self.init(ImplicitALS.FoldIn(ImplicitALS(matrix, parameters: parameters)), space: space, weights: weights, isAvailable: isAvailable)
    }
}
