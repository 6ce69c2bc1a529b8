/// The reranking stage: the order of the feed's slots from the ranked candidates' relevance
/// and their pairwise similarity (for diversity).
///
/// The order holds `min(n, relevance.count)` distinct indices into the candidates; with no
/// similarity between any two candidates it is the relevance order (ties to the smaller index).
/// The contract suite in `FunnelTesting` checks both.
public protocol Reranker: Sendable {
    /// The name the registry and the `[pipeline] reranker` setting know it by.
    var name: String { get }
    /// `similarity(i, j)` is within [0, 1].
    func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int]
}

/// The relevance order itself: no reranking.
public struct RelevanceOrder: Reranker {
    public let name = "none"

    public init() {}

    public func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int] {
        Array(relevance.indices.sorted { (relevance[$0], $1) > (relevance[$1], $0) }.prefix(max(0, n)))
    }
}
