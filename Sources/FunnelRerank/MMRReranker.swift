/// Maximal marginal relevance (Carbonell & Goldstein, 1998) over a sliding window: the feed is
/// filled one slot at a time with the candidate that maximises
/// `λ · relevance − (1 − λ) · max similarity to the last `window` items placed`,
/// so neighbouring slots differ while far-apart ones may repeat a topic. Relevances are rescaled
/// to [0, 1] over the candidates first, so λ means the same whatever the ranker's scale.
public struct MMRReranker: Sendable {
    /// Weight of relevance against diversity: 1 keeps the ranker's order, 0 ignores it.
    public var lambda: Double
    /// How many of the last placed items a candidate is compared with.
    public var window: Int

    public init(lambda: Double = 0.7, window: Int = 5) {
        self.lambda = lambda
        self.window = window
    }

    /// The order of the first `n` slots, as indices into the candidates. `similarity(i, j)` is
    /// in [0, 1]; ties go to the smaller index.
    public func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int] {
        let count = relevance.count
        guard count > 0, n > 0 else { return [] }
        let low = relevance.min()!, high = relevance.max()!
        let scaled = relevance.map { high > low ? ($0 - low) / (high - low) : 1 }
        var remaining = Array(0..<count)
        var placed: [Int] = []
        while placed.count < min(n, count) {
            let recent = placed.suffix(window)
            var best = 0, bestValue = -Double.infinity
            for (position, candidate) in remaining.enumerated() {
                let redundancy = recent.map { similarity(candidate, $0) }.max() ?? 0
                let value = lambda * scaled[candidate] - (1 - lambda) * redundancy
                if value > bestValue || (value == bestValue && candidate < remaining[best]) {
                    (best, bestValue) = (position, value)
                }
            }
            placed.append(remaining.remove(at: best))
        }
        return placed
    }

    /// Similarity of two items by their category paths ("games/puzzle"): the Jaccard overlap of
    /// every level of both ("games", "games/puzzle"), so siblings share their parent and are half
    /// alike; items without categories are alike to nothing.
    public static func categorySimilarity(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let shared = a.intersection(b).count
        return Double(shared) / Double(a.count + b.count - shared)
    }
}
