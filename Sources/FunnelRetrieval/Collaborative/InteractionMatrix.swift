/// Users × items interest weights in compressed sparse rows, both ways: each user's items and
/// each item's users, with repeated (user, item) pairs summed and pairs whose sum is not positive
/// dropped. The input of the neighbourhood models (ItemCF, Swing, UserCF).
public struct InteractionMatrix: Sendable {
    public let userCount: Int
    public let itemCount: Int
    public let userOffsets: [Int], userItems: [Int32], userWeights: [Float]
    public let itemOffsets: [Int], itemUsers: [Int32], itemWeights: [Float]

    public init(userCount: Int, itemCount: Int, entries: [(user: Int32, item: Int32, weight: Float)]) {
        self.userCount = userCount
        self.itemCount = itemCount
        // Sum repeated pairs: sort by (user, item), then merge runs.
        let sorted = entries.sorted { ($0.user, $0.item) < ($1.user, $1.item) }
        var users: [Int32] = [], items: [Int32] = [], weights: [Float] = []
        for e in sorted {
            if let last = users.indices.last, users[last] == e.user, items[last] == e.item {
                weights[last] += e.weight
            } else {
                users.append(e.user)
                items.append(e.item)
                weights.append(e.weight)
            }
        }
        let kept = weights.indices.filter { weights[$0] > 0 }
        (users, items, weights) = (kept.map { users[$0] }, kept.map { items[$0] }, kept.map { weights[$0] })
        (userOffsets, userItems, userWeights) = Self.compress(rows: users, columns: items, weights: weights, rowCount: userCount)
        (itemOffsets, itemUsers, itemWeights) = Self.compress(rows: items, columns: users, weights: weights, rowCount: itemCount)
    }

    /// Counting sort into rows; within a row, columns keep their input order.
    static func compress(rows: [Int32], columns: [Int32], weights: [Float], rowCount: Int) -> ([Int], [Int32], [Float]) {
        var offsets = [Int](repeating: 0, count: rowCount + 1)
        for r in rows { offsets[Int(r) + 1] += 1 }
        for k in 0..<rowCount { offsets[k + 1] += offsets[k] }
        var next = offsets, outColumns = [Int32](repeating: 0, count: rows.count), outWeights = [Float](repeating: 0, count: rows.count)
        for k in rows.indices {
            let r = Int(rows[k])
            outColumns[next[r]] = columns[k]
            outWeights[next[r]] = weights[k]
            next[r] += 1
        }
        return (offsets, outColumns, outWeights)
    }

    public func items(of user: Int) -> (items: ArraySlice<Int32>, weights: ArraySlice<Float>) {
        let range = userOffsets[user]..<userOffsets[user + 1]
        return (userItems[range], userWeights[range])
    }

    public func users(of item: Int) -> (users: ArraySlice<Int32>, weights: ArraySlice<Float>) {
        let range = itemOffsets[item]..<itemOffsets[item + 1]
        return (itemUsers[range], itemWeights[range])
    }
}
