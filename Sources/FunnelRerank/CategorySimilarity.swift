/// Similarity of items by their categories, for diversity.
public enum CategorySimilarity {
    /// Similarity of two items by their category paths ("games/puzzle"): the Jaccard overlap of
    /// every level of both ("games", "games/puzzle"), so siblings share their parent and are a
    /// third alike; items without categories are alike to nothing. The levels come as sorted
    /// integer ids (interned once per catalogue), so a comparison is one merge, no allocation.
    public static func jaccard(_ a: [Int32], _ b: [Int32]) -> Double {
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
