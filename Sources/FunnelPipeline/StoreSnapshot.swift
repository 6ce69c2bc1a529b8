import Foundation
import FunnelData
import FunnelStore

/// What a pipeline or a training run reads from a store: the catalogue, the user records and
/// the event log, read once and handed to each step, so that every step sees the same data.
public struct StoreSnapshot: Sendable {
    public var items: [Item]
    public var users: [User]
    public var events: [Event]

    public init(items: [Item], users: [User] = [], events: [Event]) {
        self.items = items
        self.users = users
        self.events = events
    }

    /// Everything `store` holds now. An item known only from events (a log imported without
    /// its catalogue) joins the catalogue bare, created at its first event, so that a store of
    /// events alone still serves feeds.
    public static func read(_ store: any Store) async throws -> StoreSnapshot {
        let events = try await PipelineLoader.events(store)
        return StoreSnapshot(items: withBareItems(try await PipelineLoader.catalogue(store), events: events),
                             users: try await PipelineLoader.users(store), events: events)
    }

    /// `items`, then a bare item for each item id that only `events` name, in order of first event.
    static func withBareItems(_ items: [Item], events: [Event]) -> [Item] {
        let known = Set(items.map(\.id))
        var firstSeen: [String: Date] = [:]
        var order: [String] = []
        for event in events where !known.contains(event.itemID) && !event.itemID.isEmpty {
            if let seen = firstSeen[event.itemID] {
                if event.timestamp < seen { firstSeen[event.itemID] = event.timestamp }
            } else {
                firstSeen[event.itemID] = event.timestamp
                order.append(event.itemID)
            }
        }
        return items + order.map { Item(id: $0, createdAt: firstSeen[$0]) }
    }
}
