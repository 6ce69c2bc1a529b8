import CPrefetch
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
    /// Each user's slot: given on their first action and theirs for the index's life, so that
    /// a channel can resolve users once (`slot(of:)`) and read them by slot.
    private var slots: [String: Int32] = [:]
    /// By slot, the user's last actions as events, newest first.
    private var events: [[Event]] = []
    /// The same as `Action`s, in one flat array: the user in slot s holds `counts[s]` of the
    /// `capacity` places from `s · capacity`. Fifty neighbours are read without one array (and
    /// one reference count) each, and their places are known before any is read.
    private var compact: [Action] = []
    private var counts: [Int32] = []

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
            let slot: Int
            if let known = slots[event.userID] {
                slot = Int(known)
            } else {
                slot = self.events.count
                slots[event.userID] = Int32(slot)
                self.events.append([])
                compact.append(contentsOf: repeatElement(Action(item: -1, type: event.type), count: capacity))
                counts.append(0)
            }
            // Newest first; an older event arriving late goes to its place by time.
            let position = self.events[slot].firstIndex { $0.timestamp < event.timestamp } ?? self.events[slot].count
            guard position < capacity else { continue }
            self.events[slot].insert(event, at: position)
            if self.events[slot].count > capacity { self.events[slot].removeLast() }
            let base = slot * capacity, kept = Int(counts[slot])
            var k = min(kept, capacity - 1)
            while k > position {
                compact[base + k] = compact[base + k - 1]
                k -= 1
            }
            compact[base + position] = Action(item: items.lookup(event.itemID) ?? -1, type: event.type)
            counts[slot] = Int32(min(kept + 1, capacity))
        }
    }

    /// The user's last actions, newest first.
    public func actions(of user: String) -> [Event] { interned(of: user).actions }

    /// The user's last actions, newest first, and the same as `Action`s.
    public func interned(of user: String) -> (actions: [Event], compact: [Action]) {
        lock.withLock {
            guard let slot = slots[user].map(Int.init) else { return ([], []) }
            return (events[slot], Array(compact[segment(slot)]))
        }
    }

    /// Where in `compact` the actions of the user in `slot` are (the lock held).
    private func segment(_ slot: Int) -> Range<Int> { (slot * capacity)..<(slot * capacity + Int(counts[slot])) }

    /// The user's slot, nil before their first action.
    public func slot(of user: String) -> Int32? { lock.withLock { slots[user] } }

    /// The `Action`s of the users in `slots` (−1 for none), one after another, with each user's
    /// range in them and, in order, the positions and ids of those whose item is not in `items`;
    /// copied under one lock.
    public func compactActions(of slots: [Int32]) -> (actions: [Action], ranges: [Range<Int>], unindexed: [(at: Int, item: String)]) {
        lock.withLock {
            let known = slots.map { $0 >= 0 && Int($0) < counts.count ? Int($0) : -1 }
            compact.withUnsafeBufferPointer { compact in
                guard let base = compact.baseAddress else { return }
                for slot in known where slot >= 0 {
                    let places = segment(slot)
                    funnel_prefetch_range(base + places.lowerBound, places.count * MemoryLayout<Action>.stride)
                }
            }
            var actions: [Action] = [], ranges: [Range<Int>] = [], unindexed: [(at: Int, item: String)] = []
            actions.reserveCapacity(known.count * capacity)
            for slot in known {
                let start = actions.count
                if slot >= 0 {
                    actions += compact[segment(slot)]
                    for k in start..<actions.count where actions[k].item < 0 { unindexed.append((k, events[slot][k - start].itemID)) }
                }
                ranges.append(start..<actions.count)
            }
            return (actions, ranges, unindexed)
        }
    }

    public var userCount: Int { lock.withLock { events.count } }
}
