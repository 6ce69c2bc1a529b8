import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct LocalAndAuthorChannelTests {
    static let now = Date(timeIntervalSince1970: 1_735_689_600)
    static func context(_ actions: [Event] = [], at location: GeoPoint? = nil) -> RetrievalContext {
        RetrievalContext(userID: "u", now: now, recentActions: actions, location: location)
    }

    @Test func geohashChannelReadsTheCellAndItsNeighbours() async throws {
        let user = GeoPoint(latitude: 31.2304, longitude: 121.4737)   // Shanghai
        let cell = try #require(Geohash.bounds(Geohash.encode(user, precision: 5)))
        let height = cell.latitude.upperBound - cell.latitude.lowerBound
        let items = [
            Item(id: "here", location: user),
            Item(id: "next-cell", location: GeoPoint(latitude: user.latitude + height, longitude: user.longitude)),
            Item(id: "two-cells-away", location: GeoPoint(latitude: user.latitude + 2.5 * height, longitude: user.longitude)),
            Item(id: "hidden", location: user, isHidden: true),
            Item(id: "beijing", location: GeoPoint(latitude: 39.9042, longitude: 116.4074)),
            Item(id: "nowhere"),
        ]
        let channel = GeohashChannel(items: items, quality: ["next-cell": 5, "here": 2, "beijing": 9], now: Self.now)
        #expect(try await channel.retrieve(for: Self.context(at: user), limit: 10).map(\.item) == ["next-cell", "here"])
        #expect(try await channel.retrieve(for: Self.context(at: user), limit: 1).map(\.item) == ["next-cell"])
        #expect(try await channel.retrieve(for: Self.context(), limit: 10).isEmpty, "no location, no nearby items")
    }

    /// Many items over the user's cell, its neighbours and beyond: the merged cells must equal a
    /// brute-force sort of every item within the nine cells.
    @Test func geohashMergeEqualsSortingTheNineCells() async throws {
        let user = GeoPoint(latitude: 48.8566, longitude: 2.3522)
        var generator = SplitMix64(seed: 5)
        let items = (0..<2_000).map { k in
            Item(id: "i\(k)", location: GeoPoint(latitude: user.latitude + (generator.nextUnitDouble() - 0.5) * 0.2,
                                                 longitude: user.longitude + (generator.nextUnitDouble() - 0.5) * 0.2))
        }
        let quality = Dictionary(uniqueKeysWithValues: items.map { ($0.id, Double(generator.next() % 50)) })
        let channel = GeohashChannel(items: items, quality: quality, now: Self.now)
        let cells = Set(Geohash.neighbourhood(Geohash.encode(user, precision: 5)))
        let inside = items.filter { cells.contains(Geohash.encode($0.location!, precision: 5)) }
            .map { ScoredItem(item: $0.id, score: quality[$0.id]!) }.sorted(by: ScoredItem.bestFirst)
        #expect(inside.count > 100 && inside.count < items.count)
        for limit in [1, 37, 100, inside.count + 10] {
            #expect(try await channel.retrieve(for: Self.context(at: user), limit: limit) == Array(inside.prefix(limit)))
        }
    }

    static let catalogue = [
        Item(id: "a1", authorID: "alice"), Item(id: "a2", authorID: "alice"), Item(id: "a3", authorID: "alice", isHidden: true),
        Item(id: "b1", authorID: "bob"), Item(id: "b2", authorID: "bob"),
        Item(id: "c1", authorID: "carol"), Item(id: "d1", authorID: "dave"),
    ]
    static let quality = ["a1": 1.0, "a2": 3, "b1": 2, "b2": 1, "c1": 1, "d1": 1]

    static func event(_ user: String, _ item: String, _ type: EventType) -> Event {
        Event(userID: user, itemID: item, type: type, timestamp: now)
    }

    @Test func followedAndInteractedAuthors() async throws {
        let actions = [Self.event("u", "a1", .followAuthor), Self.event("u", "a1", .like), Self.event("u", "b2", .click)]
        let followed = AuthorChannel(kind: .followed, items: Self.catalogue, quality: Self.quality, now: Self.now)
        // alice's available items by quality, without the one the user already touched (a1) or the hidden a3.
        #expect(try await followed.retrieve(for: Self.context(actions), limit: 10).map(\.item) == ["a2"])
        let interacted = AuthorChannel(kind: .interacted, items: Self.catalogue, quality: Self.quality, now: Self.now)
        // alice: follow 2 + like 2 = 4; bob: click 1.
        let got = try await interacted.retrieve(for: Self.context(actions), limit: 10)
        #expect(got.map(\.item) == ["a2", "b1"] && got.map(\.score) == [4, 1])
    }

    /// A follow long gone from the user's latest actions still counts: the channel keeps the
    /// follows of the log it was built from.
    @Test func followsOutliveTheLatestActions() async throws {
        let log = [Self.event("u", "b1", .followAuthor), Self.event("w", "a1", .followAuthor)]
        let followed = AuthorChannel(kind: .followed, items: Self.catalogue, quality: Self.quality, now: Self.now, follows: log)
        let recent = (0..<60).map { _ in Self.event("u", "c1", .click) }
        #expect(try await followed.retrieve(for: Self.context(recent), limit: 10).map(\.item) == ["b1", "b2"])
        let withoutLog = AuthorChannel(kind: .followed, items: Self.catalogue, quality: Self.quality, now: Self.now)
        #expect(try await withoutLog.retrieve(for: Self.context(recent), limit: 10).isEmpty)
        #expect(followed.followedAuthorIDs(for: Self.context(recent + [Self.event("u", "c1", .followAuthor)])) == ["bob", "carol"])
    }

    @Test func similarAuthorsShareAudiences() async throws {
        // v1 and v2 like both alice and carol; v3 likes bob and dave.
        let history = [("v1", "a1"), ("v1", "c1"), ("v2", "a2"), ("v2", "c1"), ("v3", "b1"), ("v3", "d1")].map { Self.event($0.0, $0.1, .like) }
        let authorOf = Dictionary(uniqueKeysWithValues: Self.catalogue.map { ($0.id, $0.authorID!) })
        let index = AuthorChannel.similarAuthorIndex(history, authorOf: { authorOf[$0] })
        let similar = AuthorChannel(kind: .similar, items: Self.catalogue, quality: Self.quality, now: Self.now, similarAuthors: index)
        #expect(try await similar.retrieve(for: Self.context([Self.event("u", "a1", .like)]), limit: 10).map(\.item) == ["c1"])
    }

    /// The most similar author has nothing to show (its only item is hidden): a limit of one must
    /// still reach the next author.
    @Test func similarAuthorsWithoutItemsAreSkipped() async throws {
        let catalogue = [Item(id: "a1", authorID: "alice"), Item(id: "c1", authorID: "carol", isHidden: true), Item(id: "d1", authorID: "dave")]
        let history = [("v1", "a1"), ("v1", "c1"), ("v1", "d1"), ("v2", "a1"), ("v2", "c1")].map { Self.event($0.0, $0.1, .like) }
        let authorOf = Dictionary(uniqueKeysWithValues: catalogue.map { ($0.id, $0.authorID!) })
        let index = AuthorChannel.similarAuthorIndex(history, authorOf: { authorOf[$0] })
        #expect(index.similar(to: "alice").map(\.id) == ["carol", "dave"])
        let similar = AuthorChannel(kind: .similar, items: catalogue, quality: [:], now: Self.now, similarAuthors: index)
        #expect(try await similar.retrieve(for: Self.context([Self.event("u", "a1", .like)]), limit: 1).map(\.item) == ["d1"])
    }
}
