import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct ItemToItemChannelTests {
    static let t0 = Date(timeIntervalSince1970: 1_735_689_600)

    static func event(_ user: String, _ item: String, _ type: EventType, _ seconds: Double = 0) -> Event {
        Event(userID: user, itemID: item, type: type, timestamp: t0.addingTimeInterval(seconds))
    }

    @Test func builderSumsInterestWeightsPerPair() {
        var builder = EventMatrixBuilder()
        for e in [Self.event("a", "x", .click), Self.event("a", "x", .like), Self.event("a", "y", .exposure),
                  Self.event("b", "y", .share), Self.event("b", "x", .hide)] { builder.add(e) }
        let m = builder.matrix()
        #expect(builder.eventCount == 5 && builder.pairCount == 2, "exposures and hides carry no interest")
        #expect(Array(m.items(of: 0).weights) == [3], "click 1 + like 2")
        #expect(Array(m.users(of: Int(builder.items.lookup("y")!)).weights) == [4], "share 4")
    }

    /// Three users; ItemCF on their likes, then the channel for a user who clicked x and liked y.
    @Test func channelScoresByHandAndSkipsWhatTheUserTouched() async throws {
        var builder = EventMatrixBuilder()
        for (u, items) in [("u1", ["x", "y", "z"]), ("u2", ["x", "z"]), ("u3", ["y", "w"])] {
            for item in items { builder.add(Self.event(u, item, .click)) }
        }
        let index = NeighbourIndex(model: "itemcf", ids: builder.items, lists: ItemCF.similarities(builder.matrix(), k: 10))
        // Vectors over (u1,u2,u3): x (1,1,0), y (1,0,1), z (1,1,0), w (0,0,1).
        // sim(x,z) = 1, sim(x,y) = 1/2, sim(y,z) = 1/2, sim(y,w) = 1/√2.
        let channel = ItemToItemChannel(index: index)
        let context = RetrievalContext(userID: "new", now: Self.t0, recentActions: [Self.event("new", "y", .like, 2), Self.event("new", "x", .click, 1)])
        let got = try await channel.retrieve(for: context, limit: 5)
        // z: like(x)=1 · 1 + like(y)=2 · 1/2 = 2; w: 2 · 1/√2 = √2; x and y are the user's own.
        #expect(got.map(\.item) == ["z", "w"])
        #expect(abs(got[0].score - 2) < 1e-6 && abs(got[1].score - 2.0.squareRoot()) < 1e-6)
        #expect(index.similar(to: "x").first?.id == "z" && index.similar(to: "unknown").isEmpty)
        // Only each recent item's nearest neighbour: y → w (1/√2), x → z (1); z loses y's half.
        let nearest = try await ItemToItemChannel(index: index, perItem: 1).retrieve(for: context, limit: 5)
        #expect(nearest.map(\.item) == ["w", "z"])
        #expect(abs(nearest[0].score - 2.0.squareRoot()) < 1e-6 && abs(nearest[1].score - 1) < 1e-6)
    }

    @Test func indexBytesRoundTripAndRejectCorruption() throws {
        var builder = EventMatrixBuilder()
        for (k, e) in ["a x", "a y", "b x", "b z", "c y", "c z"].enumerated() {
            let parts = e.split(separator: " ").map(String.init)
            builder.add(Self.event(parts[0], parts[1], .click, Double(k)))
        }
        let index = NeighbourIndex(model: "swing", ids: builder.items, lists: ItemCF.similarities(builder.matrix(), k: 5))
        #expect(try NeighbourIndex(serialized: index.serialized) == index)
        let bytes = index.serialized
        #expect(throws: DataError.self) { try NeighbourIndex(serialized: bytes.dropLast()) }
        #expect(throws: DataError.self) { try NeighbourIndex(serialized: Data("FNI0".utf8) + bytes.dropFirst(4)) }
        var badNeighbour = bytes
        badNeighbour[bytes.count - 4 * index.lists.neighbours.count - 1] = 0x7F   // a neighbour id far out of range
        #expect(throws: DataError.self) { try NeighbourIndex(serialized: badNeighbour) }
    }
}
