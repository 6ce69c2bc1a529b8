import Foundation
import FunnelData
@testable import FunnelPipeline
import Testing

@Suite struct StoreSnapshotTests {
    /// Items that only events name join the catalogue bare, once each, created at their first
    /// event; catalogue items stay as they are, first.
    @Test func itemsKnownOnlyFromEventsJoinBare() {
        let t = Date(timeIntervalSince1970: 1_000_000)
        let catalogue = [Item(id: "a", categories: ["c"])]
        let events = [
            Event(userID: "u", itemID: "b", type: .click, timestamp: t.addingTimeInterval(50)),
            Event(userID: "u", itemID: "a", type: .click, timestamp: t),
            Event(userID: "v", itemID: "c", type: .click, timestamp: t.addingTimeInterval(70)),
            Event(userID: "v", itemID: "b", type: .like, timestamp: t.addingTimeInterval(10)),
        ]
        let items = StoreSnapshot.withBareItems(catalogue, events: events)
        #expect(items.map(\.id) == ["a", "b", "c"])
        #expect(items[0].categories == ["c"])
        #expect(items[1].createdAt == t.addingTimeInterval(10) && items[1].categories.isEmpty)
        #expect(items[2].createdAt == t.addingTimeInterval(70))
    }
}
