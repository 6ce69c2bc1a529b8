import FunnelData

/// Accumulates events into an interaction matrix: string ids interned to dense indices, like(u, i)
/// summed over each user's events on an item with the interest weights. Memory is one entry per
/// distinct (user, item) pair, whatever the number of events.
public struct EventMatrixBuilder: Sendable {
    public private(set) var users = IDInterner()
    public private(set) var items = IDInterner()
    public private(set) var eventCount = 0
    let weights: InterestWeights
    private var pairs: [UInt64: Float] = [:]

    public init(weights: InterestWeights = .standard) { self.weights = weights }

    public mutating func add(_ event: Event) {
        eventCount += 1
        let w = weights.weight(of: event.type)
        guard w != 0 else { return }
        let u = users.intern(event.userID), i = items.intern(event.itemID)
        pairs[UInt64(UInt32(bitPattern: u)) << 32 | UInt64(UInt32(bitPattern: i)), default: 0] += Float(w)
    }

    public var pairCount: Int { pairs.count }

    public func matrix() -> InteractionMatrix {
        InteractionMatrix(userCount: users.count, itemCount: items.count, entries: pairs.map { key, weight in
            (Int32(bitPattern: UInt32(key >> 32)), Int32(bitPattern: UInt32(truncatingIfNeeded: key)), weight)
        })
    }
}
