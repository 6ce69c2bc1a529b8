import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct LastNIndexTests {
    static func event(_ user: String, _ item: String, _ type: EventType, _ t: Double) -> Event {
        Event(userID: user, itemID: item, type: type, timestamp: Date(timeIntervalSince1970: 1_735_689_600 + t))
    }

    @Test func keepsTheNewestActionsByTime() {
        let index = LastNIndex(capacity: 3)
        index.record([Self.event("u", "a", .click, 1), Self.event("u", "x", .exposure, 2), Self.event("u", "b", .like, 3)])
        index.record([Self.event("u", "c", .click, 5), Self.event("u", "late", .click, 2), Self.event("v", "z", .share, 9)])
        #expect(index.actions(of: "u").map(\.itemID) == ["c", "b", "late"], "newest first; a late event goes to its place; exposures skipped")
        index.record([Self.event("u", "old", .click, 0)])
        #expect(index.actions(of: "u").map(\.itemID) == ["c", "b", "late"], "older than everything kept: dropped")
        #expect(index.actions(of: "v").map(\.itemID) == ["z"] && index.actions(of: "nobody").isEmpty && index.userCount == 2)
    }

    /// The compact actions follow the events, by user and in bulk, with the items outside the
    /// interned ones named by id.
    @Test func compactActionsMatchTheEvents() throws {
        let index = LastNIndex(capacity: 3, items: try IDInterner(ids: ["a", "b", "c"]))
        index.record([Self.event("u", "a", .click, 1), Self.event("u", "new", .like, 3), Self.event("v", "b", .share, 2),
                      Self.event("u", "c", .share, 2), Self.event("u", "b", .click, 0)])
        let (events, compact) = index.interned(of: "u")
        #expect(events.map(\.itemID) == ["new", "c", "a"])
        #expect(compact.map(\.item) == [-1, 2, 0] && compact.map(\.type) == [.like, .share, .click])
        let (u, v) = (try #require(index.slot(of: "u")), try #require(index.slot(of: "v")))
        #expect(index.slot(of: "nobody") == nil)
        let bulk = index.compactActions(of: [v, -1, u, 99])
        #expect(bulk.actions.map(\.item) == [1, -1, 2, 0] && bulk.ranges == [0..<1, 1..<1, 1..<4, 4..<4])
        #expect(bulk.unindexed.map(\.at) == [1] && bulk.unindexed.map(\.item) == ["new"])
        // An index that keeps nothing still answers.
        let none = LastNIndex(capacity: 0)
        none.record([Self.event("u", "a", .click, 1)])
        #expect(none.compactActions(of: [try #require(none.slot(of: "u"))]).ranges == [0..<0] && none.actions(of: "u").isEmpty)
    }
}
