import Foundation
import FunnelData

/// Each user's last N actions, newest first, updated as events arrive: what the ItemCF, Swing
/// and author channels read at request time instead of querying the event log.
public final class LastNIndex: @unchecked Sendable {
    public let capacity: Int
    /// The event types kept; exposures and views would crowd out the actions that matter.
    public let types: Set<EventType>
    /// Items whose indices are kept beside each action (−1 for others), so that channels can
    /// score a user's actions without hashing their item ids.
    public let items: IDInterner
    private var actions: [String: [Event]] = [:]
    private var compact: [String: [Action]] = [:]

    /// An action as channels score it: the item's index in `items` (−1 if not there) and the
    /// type, eight bytes where an `Event` takes over a hundred, so that reading fifty users'
    /// actions stays within a few cache lines each.
    public struct Action: Sendable {
        public var item: Int32
        public var type: EventType
    }
    private let lock = NSLock()

    public init(capacity: Int = 50, types: Set<EventType> = Set(EventType.allCases).subtracting([.exposure, .view]), items: IDInterner = IDInterner()) {
        self.capacity = capacity
        self.types = types
        self.items = items
    }

    /// Adds events (in any order); each user keeps their `capacity` newest by time.
    public func record(_ events: some Sequence<Event>) {
        lock.lock()
        defer { lock.unlock() }
        for event in events where types.contains(event.type) {
            var list = actions.removeValue(forKey: event.userID) ?? []
            var indices = compact.removeValue(forKey: event.userID) ?? []
            // Newest first; an older event arriving late goes to its place by time.
            let position = list.firstIndex { $0.timestamp < event.timestamp } ?? list.count
            if position < capacity {
                list.insert(event, at: position)
                indices.insert(Action(item: items.lookup(event.itemID) ?? -1, type: event.type), at: position)
                if list.count > capacity { list.removeLast(); indices.removeLast() }
            }
            actions[event.userID] = list
            compact[event.userID] = indices
        }
    }

    /// The user's last actions, newest first.
    public func actions(of user: String) -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        return actions[user] ?? []
    }

    /// The user's last actions, newest first, and the same as `Action`s.
    public func interned(of user: String) -> (actions: [Event], compact: [Action]) {
        lock.lock()
        defer { lock.unlock() }
        return (actions[user] ?? [], compact[user] ?? [])
    }

    public var userCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return actions.count
    }
}
