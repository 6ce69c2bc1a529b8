import Foundation

/// What accuracy metrics miss: how much of the catalogue is recommended, how varied each list
/// is, and how unfamiliar its items are.
public enum BeyondAccuracy {
    /// The fraction of the catalogue that appears in at least one list.
    public static func coverage(_ lists: [[Int32]], catalogueSize: Int) -> Double {
        guard catalogueSize > 0 else { return 0 }
        return Double(Set(lists.joined()).count) / Double(catalogueSize)
    }

    /// Mean over lists of the average pairwise dissimilarity 1 − similarity(i, j) (lists with
    /// fewer than two items are skipped).
    public static func intraListDiversity(_ lists: [[Int32]], similarity: (Int32, Int32) -> Double) -> Double {
        var total = 0.0, counted = 0
        for list in lists where list.count >= 2 {
            var sum = 0.0
            for a in 0..<list.count { for b in (a + 1)..<list.count { sum += 1 - similarity(list[a], list[b]) } }
            total += sum / Double(list.count * (list.count - 1) / 2)
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }

    /// Mean self-information −log2 p(i) of recommended items, where p(i) is the fraction of
    /// users who interacted with i (items never seen count as seen once).
    public static func novelty(_ lists: [[Int32]], interactionCounts: [Int], userCount: Int) -> Double {
        var total = 0.0, items = 0
        for item in lists.joined() {
            let p = Double(max(1, interactionCounts[Int(item)])) / Double(max(1, userCount))
            total -= Foundation.log2(p)
            items += 1
        }
        return items == 0 ? 0 : total / Double(items)
    }
}
