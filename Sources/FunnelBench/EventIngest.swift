import Foundation
import FunnelData
import FunnelStore

/// Batched event ingest into a store: feed-shaped events (10,007 users, 50,021 items, one click
/// per ten exposures, device and hour context), appended batch by batch.
public struct EventIngest {
    public let batchSize: Int
    public let users = 10_007, items = 50_021

    public init(batchSize: Int) { self.batchSize = batchSize }

    /// Batch `k` of `count` events, generated outside the timed region.
    public func batch(_ k: Int, count: Int) -> [Event] {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        return (0..<count).map { j in
            let n = k * batchSize + j
            return Event(userID: "user-\(n % users)", itemID: "item-\((n &* 7919) % items)", type: n % 10 == 0 ? .click : .exposure,
                         timestamp: t0.addingTimeInterval(Double(n) / 100), context: EventContext(device: n % 3 == 0 ? "ios" : "android", hour: (n / 360_000) % 24))
        }
    }

    /// Appends `total` events; returns the seconds spent inside `appendEvents` (event
    /// construction is excluded, it is the caller's cost).
    public func run(_ store: some EventStore, total: Int) async throws -> Double {
        var seconds = 0.0
        for k in 0..<(total + batchSize - 1) / batchSize {
            let events = batch(k, count: min(batchSize, total - k * batchSize))
            let start = DispatchTime.now().uptimeNanoseconds
            try await store.appendEvents(events)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return seconds
    }
}
