/// A matrix factorisation served as a channel: its item vectors go into an inner-product
/// index, and a user's query vector is folded in at request time from their latest actions
/// against the fixed item vectors, so an action counts from the next request and a user the
/// fit never saw is served from their first action.
public protocol FoldInFactorization: Sendable {
    /// The channel's name, as quotas give it.
    static var channelName: String { get }
    /// Fold-in steps a channel takes unless told otherwise.
    static var defaultFoldInSteps: Int { get }
    var itemCount: Int { get }
    /// The length of the indexed vectors and of the queries.
    var indexedDimension: Int { get }
    /// The indexed vector of item `row`: its inner product with a user's query is their score.
    func indexedVector(ofItem row: Int) -> [Float]
    /// The query of a user who took `items` (item rows with interest weights; a row repeated
    /// adds its weights; rows outside the model and non-positive sums are left out), nil when
    /// none is left.
    func foldIn(_ items: [(row: Int32, weight: Float)], steps: Int) -> [Float]?
}

extension FoldInFactorization {
    /// The positive summed weight of each known item in `items`, by ascending row.
    static func summedWeights(_ items: [(row: Int32, weight: Float)], itemCount: Int) -> (rows: [Int32], weights: [Float]) {
        var summed: [Int32: Float] = [:]
        for item in items where item.row >= 0 && Int(item.row) < itemCount { summed[item.row, default: 0] += item.weight }
        let taken = summed.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return (taken.map(\.key), taken.map(\.value))
    }
}
