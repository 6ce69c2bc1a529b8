import Foundation
import FunnelIndex

/// Swing (Yang et al. 2020, "Large Scale Product Graph Construction for Recommendation in
/// E-commerce"): two items are similar when pairs of users who both took them have little else
/// in common, which discounts the co-occurrences that heavy or like-minded users produce.
///
/// sim(i, j) = Σ over user pairs {u, v} ⊆ U_i ∩ U_j of w_u · w_v / (α + |I_u ∩ I_v|), with user
/// weights w_u = (|I_u| + α₁)^(−β). Each unordered pair counts once (half the ordered sum, so the
/// same ranking). Interest weights are ignored: Swing looks only at which items each user took.
public enum Swing {
    public struct Parameters: Sendable, Equatable {
        public var alpha: Float = 1
        public var alpha1: Float = 5
        public var beta: Float = 0.3
        /// Users kept per item: beyond this a fixed pseudo-random subset (by a hash of user and
        /// item) stands for all of them, bounding the pair count per item.
        public var maxUsersPerItem = 200
        /// Neighbours kept per item.
        public var k = 200

        public init() {}
    }

    /// Each item's `k` most similar items. Rows are independent (threads take chunks of items);
    /// memory is the matrix, the result and one item-sized scratch row and one common-items
    /// buffer per thread.
    public static func similarities(_ m: InteractionMatrix, _ p: Parameters = Parameters()) -> NeighbourLists {
        let weights = (0..<m.userCount).map { u in
            pow(Float(m.userOffsets[u + 1] - m.userOffsets[u]) + p.alpha1, -p.beta)
        }
        return NeighbourLists.build(rows: m.itemCount, columns: m.itemCount, k: p.k, accumulate: { i, scratch, touched in
            let users = sampledUsers(of: i, m, limit: p.maxUsersPerItem)
            var common: [Int32] = []   // per row: rows run on several threads
            for a in users.indices {
                for b in (a + 1)..<users.count {
                    intersect(m.items(of: Int(users[a])).items, m.items(of: Int(users[b])).items, into: &common)
                    let contribution = weights[Int(users[a])] * weights[Int(users[b])] / (p.alpha + Float(common.count))
                    for j in common where Int(j) != i {
                        if scratch[Int(j)] == 0 { touched.append(j) }
                        scratch[Int(j)] += contribution
                    }
                }
            }
        }, score: { _, _, sum in sum })
    }

    /// The item's users, or the `limit` of them with the smallest hash of (user, item): a sample
    /// that is the same on every run and differs between items.
    static func sampledUsers(of item: Int, _ m: InteractionMatrix, limit: Int) -> [Int32] {
        let users = m.users(of: item).users
        guard users.count > limit else { return Array(users) }
        let salt = UInt64(item) &* 0x9E37_79B9_7F4A_7C15
        let hash = { (u: Int32) in StableHash.mix(UInt64(UInt32(bitPattern: u)) ^ salt) }
        return Array(users.sorted { hash($0) < hash($1) }.prefix(limit)).sorted()
    }

    /// The items two users share; both rows are sorted by item.
    static func intersect(_ a: ArraySlice<Int32>, _ b: ArraySlice<Int32>, into common: inout [Int32]) {
        common.removeAll(keepingCapacity: true)
        var x = a.startIndex, y = b.startIndex
        while x < a.endIndex, y < b.endIndex {
            if a[x] < b[y] { x += 1 } else if a[x] > b[y] { y += 1 } else {
                common.append(a[x])
                x += 1
                y += 1
            }
        }
    }
}
