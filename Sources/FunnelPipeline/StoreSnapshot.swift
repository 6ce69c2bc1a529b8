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

    /// Everything `store` holds now.
    public static func read(_ store: any Store) async throws -> StoreSnapshot {
        StoreSnapshot(items: try await PipelineLoader.catalogue(store), users: try await PipelineLoader.users(store),
                      events: try await PipelineLoader.events(store))
    }
}
