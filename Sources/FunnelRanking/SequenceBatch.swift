/// Rows of (user, candidate item, the user's behaviour sequence before it), the sequences cut
/// to their latest `maxLength` items and padded to the batch's longest with `padding`.
public struct SequenceBatch: Sendable {
    public var users: [Int32]
    public var targets: [Int32]
    /// `[count, steps]`, oldest first, padding after each row's `lengths[r]` items.
    public var histories: [Int32]
    public var lengths: [Int]
    public var steps: Int

    public var count: Int { targets.count }

    /// `histories[r]` are row r's items in time order; longer ones keep their most recent
    /// `maxLength` (truncated by recency, never refused).
    public init(users: [Int32], targets: [Int32], histories: [ArraySlice<Int32>], maxLength: Int, padding: Int32) {
        precondition(users.count == targets.count && histories.count == targets.count && maxLength > 0,
                     "SequenceBatch: a user, a target and a history per row, and a positive maximum length")
        (self.users, self.targets) = (users, targets)
        lengths = histories.map { min($0.count, maxLength) }
        steps = max(1, lengths.max() ?? 0)
        var flat = [Int32](repeating: padding, count: targets.count * steps)
        for (r, history) in histories.enumerated() {
            for (t, item) in history.suffix(maxLength).enumerated() { flat[r * steps + t] = item }
        }
        self.histories = flat
    }

    /// How far back each history step is, `[count, steps]`: 0 for a row's latest item, 1 for
    /// the one before; 0 on padding.
    public var recency: [Int32] {
        var out = [Int32](repeating: 0, count: histories.count)
        for (r, length) in lengths.enumerated() {
            for t in 0..<length { out[r * steps + t] = Int32(length - 1 - t) }
        }
        return out
    }
}
