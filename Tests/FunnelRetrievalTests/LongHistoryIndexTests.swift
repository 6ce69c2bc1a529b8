import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct LongHistoryIndexTests {
    static let start = 1_735_689_600.0

    static func event(_ user: String, _ item: String, _ type: EventType, _ t: Double) -> Event {
        Event(userID: user, itemID: item, type: type, timestamp: Date(timeIntervalSince1970: start + t))
    }

    /// The kept types only, in time order whatever the order of arrival, the items' rows (−1
    /// outside the space), the newest `capacity` however many arrive, and reads before a moment.
    @Test func keepsTheNewestActionsInTimeOrder() throws {
        let index = LongHistoryIndex(capacity: 4, types: [.click, .like], items: try IDInterner(ids: ["a", "b", "c"]))
        index.record([Self.event("u", "a", .click, 10), Self.event("u", "x", .exposure, 11), Self.event("u", "b", .like, 30)])
        index.record([Self.event("u", "c", .click, 20), Self.event("u", "new", .click, 40), Self.event("v", "a", .click, 5)])
        #expect(index.actions(of: "u") == [10, 20, 30, 40].enumerated().map { k, t in
            LongHistoryIndex.Action(row: [0, 2, 1, -1][k], time: Self.start + t)
        })
        #expect(index.actions(of: "u", before: Self.start + 30).map(\.time) == [10, 20].map { Self.start + $0 }, "strictly before")
        #expect(index.actions(of: "u", before: Self.start + 35, limit: 2).map(\.row) == [2, 1])
        #expect(index.actions(of: "nobody").isEmpty && index.userCount == 2)

        // Twenty more, one of them late: the four newest stay, in order.
        index.record((0..<20).map { Self.event("u", "a", .click, 100 + Double($0)) } + [Self.event("u", "b", .click, 118.5)])
        #expect(index.actions(of: "u").map(\.time) == [117, 118, 118.5, 119].map { Self.start + $0 })
        #expect(index.actions(of: "u", limit: 10).count == 4, "never more than the capacity")
    }

    /// With no capacity, every action is kept and each moment's last ones are read.
    @Test func anUnboundedHistoryReadsEachMomentsLastActions() throws {
        let index = LongHistoryIndex(capacity: .max, types: [.click], items: try IDInterner(ids: ["a"]))
        index.record((0..<3_000).reversed().map { Self.event("u", "a", .click, Double($0)) })
        let read = index.actions(of: "u", before: Self.start + 2_500, limit: 1_000)
        #expect(read.count == 1_000 && read.first!.time == Self.start + 1_500 && read.last!.time == Self.start + 2_499)
    }
}
