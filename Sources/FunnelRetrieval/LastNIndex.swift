import Foundation
import FunnelData

/// Each user's last N actions, newest first, updated as events arrive: what the ItemCF, Swing
/// and author channels read at request time instead of querying the event log.
public final class LastNIndex: @unchecked Sendable {
    public let capacity: Int
    /// The event types kept; exposures and views would crowd out the actions that matter.
    public let types: Set<EventType>
    private var actions: [String: [Event]] = [:]
    private let lock = NSLock()

    public init(capacity: Int = 50, types: Set<EventType> = Set(EventType.allCases).subtracting([.exposure, .view])) {
        self.capacity = capacity
        self.types = types
    }

    /// Adds events (in any order); each user keeps their `capacity` newest by time.
    public func record(_ events: some Sequence<Event>) {
        lock.lock()
        defer { lock.unlock() }
        for event in events where types.contains(event.type) {
            var list = actions[event.userID] ?? []
            // Newest first; an older event arriving late goes to its place by time.
            let position = list.firstIndex { $0.timestamp < event.timestamp } ?? list.count
            guard position < capacity else { continue }
            list.insert(event, at: position)
            if list.count > capacity { list.removeLast() }
            actions[event.userID] = list
        }
    }

    /// The user's last actions, newest first.
    public func actions(of user: String) -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        return actions[user] ?? []
    }

    public var userCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return actions.count
    }
}
