import FunnelStages

/// Maximal marginal relevance (Carbonell & Goldstein, 1998) over a sliding window: the feed is
/// filled one slot at a time with the candidate that maximises
/// `λ · relevance − (1 − λ) · max similarity to the last `window` items placed`,
/// so neighbouring slots differ while far-apart ones may repeat a topic. Relevances are rescaled
/// to [0, 1] over the candidates first, so λ means the same whatever the ranker's scale.
public struct MMRReranker: Reranker {
    public var name: String { "mmr" }
    /// Weight of relevance against diversity: 1 keeps the ranker's order, 0 ignores it.
    public var lambda: Double
    /// How many of the last placed items a candidate is compared with.
    public var window: Int

    public init(lambda: Double = 0.7, window: Int = 5) {
        self.lambda = lambda
        self.window = window
    }

    /// The order of the first `n` slots, as indices into the candidates. `similarity(i, j)` is
    /// in [0, 1]; ties go to the smaller index. Each placed item's similarity to every candidate
    /// is computed once, when it is placed: n · m calls for m candidates.
    public func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int] {
        let count = relevance.count
        guard count > 0, n > 0 else { return [] }
        let scaled = Self.unitScaled(relevance)
        var isPlaced = [Bool](repeating: false, count: count)
        var placed: [Int] = []
        /// Per placed item, its similarity to every candidate.
        var similarities: [[Double]] = []
        while placed.count < min(n, count) {
            let recent = similarities.suffix(window)
            var best = -1, bestValue = -Double.infinity
            for candidate in 0..<count where !isPlaced[candidate] {
                var redundancy = 0.0
                for row in recent { redundancy = max(redundancy, row[candidate]) }
                let value = lambda * scaled[candidate] - (1 - lambda) * redundancy
                if value > bestValue { (best, bestValue) = (candidate, value) }
            }
            placed.append(best)
            isPlaced[best] = true
            if placed.count < min(n, count) {
                similarities.append((0..<count).map { isPlaced[$0] ? 0 : similarity($0, best) })
            }
        }
        return placed
    }
}

extension Reranker {
    /// `relevance` rescaled to [0, 1] over the candidates (all 1 when they are equal), so that a
    /// reranker's trade-off means the same whatever the ranker's scale.
    static func unitScaled(_ relevance: [Double]) -> [Double] {
        guard let low = relevance.min(), let high = relevance.max() else { return [] }
        return relevance.map { high > low ? ($0 - low) / (high - low) : 1 }
    }
}
