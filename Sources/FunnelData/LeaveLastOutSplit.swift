/// The leave-last-out split of sequential recommendation (SASRec, NCF): per user, the last
/// interaction by time is the test item, the one before it the validation item, the rest train.
public struct LeaveLastOutSplit: Sendable {
    public var train: [Interaction]
    /// Held-out item per user (nil for users with too few interactions).
    public var validation: [Int32?]
    public var test: [Int32?]
    public var userCount: Int

    /// Splits `interactions`; users with fewer than 3 interactions keep them all in train.
    /// Ties in time keep input order.
    public init(_ interactions: [Interaction], userCount: Int) {
        var byUser = [[Interaction]](repeating: [], count: userCount)
        for x in interactions { byUser[Int(x.user)].append(x) }
        train = []
        validation = [Int32?](repeating: nil, count: userCount)
        test = [Int32?](repeating: nil, count: userCount)
        self.userCount = userCount
        for (u, history) in byUser.enumerated() {
            let sorted = history.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
            guard sorted.count >= 3 else { train += sorted; continue }
            train += sorted.dropLast(2)
            validation[u] = sorted[sorted.count - 2].item
            test[u] = sorted[sorted.count - 1].item
        }
    }

    /// Each user's training items in time order, followed by the validation item when asked.
    public func histories(includingValidation: Bool) -> [[Int32]] {
        var histories = [[Int32]](repeating: [], count: userCount)
        for x in train { histories[Int(x.user)].append(x.item) }
        if includingValidation { for u in 0..<userCount { if let v = validation[u] { histories[u].append(v) } } }
        return histories
    }

    /// Items each user interacted with in train.
    public func trainItems() -> [Set<Int32>] {
        var seen = [Set<Int32>](repeating: [], count: userCount)
        for x in train { seen[Int(x.user)].insert(x.item) }
        return seen
    }

    /// Items each user interacted with anywhere: train, validation and test.
    public func allItems() -> [Set<Int32>] {
        var seen = trainItems()
        for u in 0..<userCount {
            if let v = validation[u] { seen[u].insert(v) }
            if let t = test[u] { seen[u].insert(t) }
        }
        return seen
    }
}
