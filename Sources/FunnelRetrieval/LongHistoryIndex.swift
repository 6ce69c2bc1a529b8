import Foundation
import FunnelData

/// Each user's positive actions over a long span (up to `capacity`, a thousand by default),
/// each as the item's row and the moment, updated as events arrive: the long history that a
/// ranker searches by the candidate's category (SIM's hard search). Sixteen bytes an action,
/// where the LastN index keeps whole events for fifty.
public final class LongHistoryIndex: @unchecked Sendable {
    public struct Action: Sendable, Equatable {
        /// The item's row in `items`, −1 when it has none.
        public var row: Int32
        /// Seconds since 1970.
        public var time: Double

        public init(row: Int32, time: Double) { (self.row, self.time) = (row, time) }
    }

    public let capacity: Int
    public let types: Set<EventType>
    public let items: IDInterner
    private var slots: [String: Int] = [:]
    /// By slot, the user's actions, oldest first. A list may grow to twice `capacity` before
    /// its oldest half is dropped, so that keeping the newest costs no shift per event.
    private var actions: [[Action]] = []
    private let lock = NSLock()

    /// `types`: the actions kept (a feed's positive ones); `capacity`: how many per user (`Int.max`
    /// keeps all, as training does to read each moment's history with `actions(of:before:limit:)`).
    public init(capacity: Int = 1_000, types: Set<EventType>, items: IDInterner) {
        precondition(capacity > 0, "LongHistoryIndex: capacity must be positive, got \(capacity)")
        (self.capacity, self.types, self.items) = (capacity, types, items)
    }

    /// Adds events in any order; an event older than a user's newest goes to its place by time.
    public func record(_ events: some Sequence<Event>) {
        lock.withLock {
            for event in events where types.contains(event.type) {
                let slot: Int
                if let known = slots[event.userID] {
                    slot = known
                } else {
                    slot = actions.count
                    slots[event.userID] = slot
                    actions.append([])
                }
                let action = Action(row: items.lookup(event.itemID) ?? -1, time: event.timestamp.timeIntervalSince1970)
                if let last = actions[slot].last, last.time > action.time {
                    actions[slot].insert(action, at: Self.prefix(of: actions[slot]) { $0.time <= action.time })
                } else {
                    actions[slot].append(action)
                }
                if capacity < Int.max / 2, actions[slot].count >= 2 * capacity { actions[slot].removeFirst(actions[slot].count - capacity) }
            }
        }
    }

    /// The user's last `limit` (at most `capacity`) actions strictly before `moment` (seconds
    /// since 1970), oldest first.
    public func actions(of user: String, before moment: Double = .infinity, limit: Int = .max) -> [Action] {
        lock.withLock {
            guard let slot = slots[user] else { return [] }
            let all = actions[slot]
            let end = moment == .infinity ? all.count : Self.prefix(of: all) { $0.time < moment }
            return Array(all[max(0, end - min(limit, capacity))..<end])
        }
    }

    public var userCount: Int { lock.withLock { actions.count } }

    /// The length of the prefix of `all` (in time order) whose actions are `before`.
    private static func prefix(of all: [Action], _ before: (Action) -> Bool) -> Int {
        var (low, high) = (0, all.count)
        while low < high {
            let mid = (low + high) / 2
            if before(all[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
