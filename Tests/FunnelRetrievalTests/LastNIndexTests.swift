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
}
