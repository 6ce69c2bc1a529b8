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
    /// in [0, 1]; ties go to the smaller index. Each placed item's similarity to every candidate
    /// is computed once, when it is placed: n · m calls for m candidates.
    public func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int] {
        let count = relevance.count
        guard count > 0, n > 0 else { return [] }
        let low = relevance.min()!, high = relevance.max()!
        let scaled = relevance.map { high > low ? ($0 - low) / (high - low) : 1 }
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

    /// Similarity of two items by their category paths ("games/puzzle"): the Jaccard overlap of
    /// every level of both ("games", "games/puzzle"), so siblings share their parent and are a
    /// third alike; items without categories are alike to nothing. The levels come as sorted
    /// integer ids (interned once per catalogue), so a comparison is one merge, no allocation.
    public static func categorySimilarity(_ a: [Int32], _ b: [Int32]) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var i = 0, j = 0, shared = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                shared += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(shared) / Double(a.count + b.count - shared)
    }
}
