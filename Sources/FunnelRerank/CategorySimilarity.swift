/// Similarity of items by their categories, for diversity.
public enum CategorySimilarity {
    /// Similarity of two items by their category paths ("games/puzzle"): the Jaccard overlap of
    /// every level of both ("games", "games/puzzle"), so siblings share their parent and are a
    /// third alike; items without categories are alike to nothing. The levels come as sorted
    /// integer ids (interned once per catalogue), so a comparison is one merge, no allocation.
    @inlinable
    public static func jaccard<Levels: RandomAccessCollection<Int32>>(_ a: Levels, _ b: Levels) -> Double where Levels.Index == Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var i = a.startIndex, j = b.startIndex, shared = 0
        while i < a.endIndex, j < b.endIndex {
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
