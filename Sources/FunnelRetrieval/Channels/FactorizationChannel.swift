import Foundation
import FunnelData
import FunnelIndex

/// Implicit ALS served as a channel. Built with the pipeline from the event matrix of the
/// neighbour channels: every available item's vector goes into an HNSW index (inner product).
/// Per request the user's vector is folded in from their latest actions: the least-squares
/// solve that ALS makes for a user, against the fixed item vectors. So an action counts from
/// the next request, and a user the fit never saw is served from their first action.
public struct FactorizationChannel: RetrievalChannel {
    public let name = "als"
    public let model: ImplicitALS
    public let index: HNSWIndex
    /// YᵀY + λI over every item vector, the fold-in's fixed part.
    private let gram: [Float]
    /// The model row (the item-space row) of each indexed vector, and the vector of each model
    /// row (−1: not indexed, the item being unavailable or unknown to the catalogue).
    private let rowOfVector: [Int32]
    private let vectorOfRow: [Int32]
    private let itemIDs: [String]
    public var weights: InterestWeights
    /// Conjugate-gradient steps of the fold-in, from zero.
    public var foldInSteps = 10
    public var ef = 64

    /// Fits on `matrix`, whose item rows are the first rows of `space` (as the neighbour
    /// channels' are), and indexes the items that `isAvailable` allows.
    public init(matrix: InteractionMatrix, space: IDInterner, parameters: ImplicitALS.Parameters = ImplicitALS.Parameters(),
                weights: InterestWeights = .standard, isAvailable: (String) -> Bool,
                index indexParameters: HNSWIndex.Parameters = HNSWIndex.Parameters(m: 16, efConstruction: 100)) {
        precondition(matrix.itemCount <= space.count, "FactorizationChannel: the matrix's items must be rows of the item space")
        model = ImplicitALS(matrix, parameters: parameters)
        self.weights = weights
        let f = parameters.factors
        gram = ImplicitALS.gram(model.itemFactors, rows: model.itemCount, factors: f, regularization: parameters.regularization)
        let rows = (0..<model.itemCount).filter { isAvailable(space.ids[$0]) }
        rowOfVector = rows.map(Int32.init)
        var vectorOfRow = [Int32](repeating: -1, count: model.itemCount)
        for (vector, row) in rows.enumerated() { vectorOfRow[row] = Int32(vector) }
        self.vectorOfRow = vectorOfRow
        itemIDs = rows.map { space.ids[$0] }
        index = HNSWIndex(dimension: f, metric: .innerProduct, parameters: indexParameters, capacity: max(1, rows.count))
        let factors = model.itemFactors
        index.add(contentsOf: rows.map { Array(factors[($0 * f)..<(($0 + 1) * f)]) })
    }

    /// The user's vector from `actions` (item rows and interest weights, newest first; rows
    /// outside the model skipped): nil when none is known to the model.
    public func foldIn(_ actions: [(row: Int32, weight: Double)]) -> [Float]? {
        var summed: [Int32: Float] = [:]
        for action in actions where action.row >= 0 && Int(action.row) < model.itemCount { summed[action.row, default: 0] += Float(action.weight) }
        let taken = summed.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        guard !taken.isEmpty else { return nil }
        let f = model.factors
        var x = [Float](repeating: 0, count: f), scratch = [Float](repeating: 0, count: 3 * f)
        let indices = taken.map(\.key), values = taken.map(\.value)
        x.withUnsafeMutableBufferPointer { x in
            scratch.withUnsafeMutableBufferPointer { s in
                model.itemFactors.withUnsafeBufferPointer { y in
                    gram.withUnsafeBufferPointer { g in
                        ImplicitALS.conjugateGradient(x.baseAddress!, pairs: 0..<indices.count, indices: indices, weights: values,
                                                      y: y.baseAddress!, gram: g.baseAddress!, f: f, alpha: model.parameters.alpha,
                                                      steps: foldInSteps, r: s.baseAddress!, direction: s.baseAddress! + f,
                                                      product: s.baseAddress! + 2 * f)
                    }
                }
            }
        }
        return x
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
