import Foundation
import FunnelData
import FunnelIndex
import FunnelPipeline
import FunnelRetrieval
import Testing

/// The ranker's features against values computed by hand from a log of a few events.
@Suite struct RankingFeaturesTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)  // a Thursday, 00:00 UTC
    static let paris = GeoPoint(latitude: 48.8566, longitude: 2.3522)
    static let london = GeoPoint(latitude: 51.5074, longitude: -0.1278)

    static func at(days: Double) -> Date { now.addingTimeInterval(days * 86_400) }

    /// u saw i0 twice (clicking once) and followed its author; v saw i1 twice, once within the
    /// week. An exposure after `now` is not counted.
    static let features: RankingFeatures = {
        let items = [
            Item(id: "i0", categories: ["food/1"], tags: ["food", "paris"], authorID: "a0", location: paris, createdAt: now.addingTimeInterval(-7_200),
                 numeric: ["duration": 120, "price": 9.5]),
            Item(id: "i1", categories: ["food/2"], tags: ["tea"], authorID: "a0", location: london, createdAt: at(days: -20)),
        ]
        let users = [User(id: "u", categorical: ["plan": "pro"], numeric: ["age": 30], tags: ["food"]),
                     User(id: "w", numeric: ["income": -5], home: london)]
        let phone = EventContext(device: "phone", city: "paris")
        let events = [
            Event(userID: "u", itemID: "i0", type: .exposure, timestamp: at(days: -2), context: phone),
            Event(userID: "u", itemID: "i0", type: .click, timestamp: at(days: -2).addingTimeInterval(2), context: phone),
            Event(userID: "u", itemID: "i0", type: .exposure, timestamp: at(days: -0.5), context: phone),
            Event(userID: "u", itemID: "i0", type: .followAuthor, timestamp: at(days: -0.4), context: phone),
            Event(userID: "v", itemID: "i1", type: .exposure, timestamp: at(days: -3)),
            Event(userID: "v", itemID: "i1", type: .exposure, timestamp: at(days: -10)),
            Event(userID: "v", itemID: "i1", type: .click, timestamp: at(days: 0.1)),
        ]
        var spec = FeatureSpec()
        spec.groups += [.ids, .sequence, .categorySequence]
        spec.sequenceLength = 3
        spec.categorySequenceLength = 2
        spec.windows = [1, 7]
        spec.priorStrength = 2
        spec.userNumeric = ["age", "income"]
        spec.itemNumeric = ["price"]
        spec.numericBuckets = ["price": [5, 10], "age": [18, 30, 65]]
        var space = IDInterner()
        for item in items { _ = space.intern(item.id) }
        return RankingFeatures(spec: spec, channels: ["popular"], catalogue: Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0) }),
                               space: space, events: events, now: now, users: Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0) }))
    }()

    func row(_ item: String, row: Int32, request: RankingFeatures.Request) -> [String: Float] {
        var out: [Float] = []
        Self.features.append(.init(item: item, row: row, provenance: []), row: row, columns: [0], request: request, to: &out)
        #expect(out.count == Self.features.count)
        return Dictionary(uniqueKeysWithValues: zip(Self.features.names, out))
    }

    func logit(_ p: Double) -> Float { Float(log(p / (1 - p))) }

    @Test func itemStatisticsAreSmoothedTowardsTheWindowsRate() {
        let request = Self.features.request(user: "u", now: Self.now)
        let i0 = row("i0", row: 0, request: request), i1 = row("i1", row: 1, request: request), unknown = row("x", row: -1, request: request)
        // Within 7 days: 3 exposures and 1 click, so the prior is 1/3 at strength 2.
        #expect(abs(i0["item:click:7d"]! - logit((1 + 2.0 / 3) / (2 + 2))) < 1e-5)
        #expect(abs(i1["item:click:7d"]! - logit((0 + 2.0 / 3) / (1 + 2))) < 1e-5)
        #expect(abs(unknown["item:click:7d"]! - logit(1.0 / 3)) < 1e-5, "an unknown item gets the prior")
        #expect(i0["item:exposures:7d"]! == Float(log1p(2.0)) && i0["item:exposures:1d"]! == Float(log1p(1.0)))
        #expect(i1["item:exposures:1d"]! == 0, "the exposure after now is not counted")
        // The author's 7 days hold all three exposures and the click; one follow in three exposures at the prior of 1/3 is 1/3.
        #expect(abs(i1["author:click:7d"]! - logit((1 + 2.0 / 3) / (3 + 2))) < 1e-5)
        #expect(abs(i1["author:follow:7d"]! - logit(1.0 / 3)) < 1e-5)
        #expect(i0["item:log-duration"]! == Float(log1p(120.0)))
    }

    /// An item written since the features were computed is read as written: a new one with the
    /// priors for its own statistics but its author's, its category's interest, its tags, place
    /// and age; a changed one with its own statistics and its new category.
    @Test func writtenItemsAreReadAsWritten() {
        let request = Self.features.request(user: "u", now: Self.now)
        let new = Item(id: "fresh", categories: ["food/1"], tags: ["food"], authorID: "a0", location: Self.paris,
                       createdAt: Self.now.addingTimeInterval(-1_800), numeric: ["price": 20])
        var moved = Item(id: "i1", categories: ["food/1"], authorID: "a0", createdAt: Self.at(days: -20))
        moved.tags = ["tea"]
        let candidates: [MultiChannelRetriever.Candidate] = [.init(item: "fresh", provenance: []), .init(item: "i1", row: 1, provenance: [])]
        let values = Self.features.rows(candidates, rows: [-1, 1], columns: [0], request: request,
                                        written: [0: Self.features.written(new, row: -1), 1: Self.features.written(moved, row: 1)])
        let width = Self.features.count
        let fresh = Dictionary(uniqueKeysWithValues: zip(Self.features.names, values[0..<width]))
        let changed = Dictionary(uniqueKeysWithValues: zip(Self.features.names, values[width...]))
        let i0 = row("i0", row: 0, request: request), i1 = row("i1", row: 1, request: request), unknown = row("x", row: -1, request: request)
        #expect(fresh["item:click:7d"] == unknown["item:click:7d"], "no statistics of its own yet: the prior")
        #expect(fresh["author:exposures:7d"] == i0["author:exposures:7d"] && fresh["author:exposures:7d"] != unknown["author:exposures:7d"])
        #expect(fresh["interest:follows-author"] == 1 && fresh["interest:leaf-click"] == i0["interest:leaf-click"])
        #expect(fresh["item:age<1h"] == 1 && fresh["profile:tag-overlap"] == 1 && fresh["interest:has-place"] == 1)
        #expect(fresh["profile:item:price"] == Float(log1p(20.0)) && fresh["profile:item:price>=10"] == 1)
        #expect(fresh["id:author"] == i0["id:author"] && fresh["id:category"] == i0["id:category"])
        #expect(changed["item:click:7d"] == i1["item:click:7d"], "a changed item keeps the statistics counted for it")
        #expect(changed["interest:leaf-click"] == i0["interest:leaf-click"] && i1["interest:leaf-click"] != i0["interest:leaf-click"])
    }

    @Test func ageFreshnessAndContextColumns() {
        let i0 = row("i0", row: 0, request: Self.features.request(user: "u", now: Self.now))
        #expect(abs(i0["item:freshness"]! - Float(exp2(-7_200 / (3 * 86_400.0)))) < 1e-6)
        #expect(i0["item:age<6h"] == 1 && i0["item:age<1h"] == 0 && i0["item:age>=168h"] == 0)
        // Midnight on a Thursday: both angles are zero.
        #expect(abs(i0["context:hour-sin"]!) < 1e-6 && i0["context:hour-cos"] == 1 && abs(i0["context:weekday-sin"]!) < 1e-6)
        let devices = (0..<8).map { i0["context:device#\($0)"]! }
        #expect(devices.reduce(0, +) == 1, "the user's latest device, hashed into one of eight columns")
        let tablet = row("i0", row: 0, request: Self.features.request(user: "u", now: Self.now, device: "tablet"))
        let nobody = row("i0", row: 0, request: Self.features.request(user: "nobody", now: Self.now))
        #expect((0..<8).map { tablet["context:device#\($0)"]! }.reduce(0, +) == 1)
        #expect((0..<8).map { nobody["context:device#\($0)"]! }.reduce(0, +) == 0, "no device known, no column set")
    }

    @Test func interestFollowsAndDistanceAreTheUsers() {
        let request = Self.features.request(user: "u", now: Self.now, recentRows: [0, 0, 1, -1])
        let i0 = row("i0", row: 0, request: request), i1 = row("i1", row: 1, request: request)
        // Over the whole log: 4 exposures, 1 click (the prior 1/4), at strength 2 / 5.
        #expect(abs(i0["interest:leaf-click"]! - logit((1 + 0.4 * 0.25) / (2 + 0.4))) < 1e-5)
        #expect(abs(i1["interest:leaf-click"]! - logit(0.25)) < 1e-5, "u never saw food/2")
        #expect(abs(i1["interest:top-click"]! - i0["interest:leaf-click"]!) < 1e-6, "both are food, seen twice, clicked once")
        #expect(abs(i0["interest:recent-leaf-share"]! - 2.0 / 3) < 1e-6 && abs(i1["interest:recent-leaf-share"]! - 1.0 / 3) < 1e-6)
        #expect(i1["interest:follows-author"] == 1)
        // u's place is where they clicked: Paris; London is 343.5 km away.
        #expect(i0["interest:log-km"] == 0 && i0["interest:has-place"] == 1)
        #expect(abs(i1["interest:log-km"]! - Float(log1p(343.5))) < 0.01)
        #expect(abs(Self.paris.kilometres(to: Self.london) - 343.5) < 1)
        let v = row("i1", row: 1, request: Self.features.request(user: "v", now: Self.now))
        #expect(v["interest:follows-author"] == 0 && v["interest:has-place"] == 0)
        #expect(abs(v["user:click:7d"]! - logit((0 + 2.0 / 3) / (1 + 2))) < 1e-5)
    }

    /// The stored records: attributes and tags hashed into buckets, numeric attributes as signed
    /// logs, the tags the user and the item share, and the user's home as their place.
    @Test func profileColumnsReadTheStoredRecords() {
        func buckets(_ values: [String]) -> [Float] {
            var columns = [Float](repeating: 0, count: 8)
            for value in values { columns[Int(StableHash.hash(value) % 8)] += 1 }
            return columns
        }
        let u = Self.features.request(user: "u", now: Self.now)
        let i0 = row("i0", row: 0, request: u), i1 = row("i1", row: 1, request: u)
        #expect((0..<8).map { i0["profile:item-tag#\($0)"]! } == buckets(["food", "paris"]))
        #expect((0..<8).map { i1["profile:item-tag#\($0)"]! } == buckets(["tea"]))
        #expect(i0["profile:item:price"] == Float(log1p(9.5)) && i1["profile:item:price"] == 0, "a missing attribute is 0")
        #expect((0..<8).map { i0["profile:user#\($0)"]! } == buckets(["plan=pro", "tag:food"]))
        #expect(i0["profile:user:age"] == Float(log1p(30.0)) && i0["profile:user:income"] == 0)
        // Buckets: 9.5 is in [5, 10); 30 is in [30, 65), the lower boundary belonging to its bucket.
        #expect(["price<5", "price<10", "price>=10"].map { i0["profile:item:" + $0]! } == [0, 1, 0])
        #expect(["price<5", "price<10", "price>=10"].map { i1["profile:item:" + $0]! } == [0, 0, 0], "a missing attribute sets no bucket")
        #expect(["age<18", "age<30", "age<65", "age>=65"].map { i0["profile:user:" + $0]! } == [0, 0, 1, 0])
        #expect(i0["profile:tag-overlap"] == 0.5 && i1["profile:tag-overlap"] == 0, "u's tag food is one of i0's two")
        let v = row("i0", row: 0, request: Self.features.request(user: "v", now: Self.now))
        #expect((0..<8).allSatisfy { v["profile:user#\($0)"] == 0 } && v["profile:user:age"] == 0, "v has no record")
        // w has no clicks but a home in London, and a negative income.
        let w = Self.features.request(user: "w", now: Self.now)
        let w0 = row("i0", row: 0, request: w), w1 = row("i1", row: 1, request: w)
        #expect(w0["profile:user:income"] == -Float(log1p(5.0)))
        #expect(w1["interest:has-place"] == 1 && w1["interest:log-km"] == 0)
        #expect(abs(w0["interest:log-km"]! - Float(log1p(343.5))) < 0.01)
        let visiting = row("i0", row: 0, request: Self.features.request(user: "w", now: Self.now, location: Self.paris))
        #expect(visiting["interest:log-km"] == 0, "the request's location comes before the home")
    }

    /// The `ids` columns name the item, its author, its leaf category and the user by codes:
    /// the same id the same code, whole numbers in 1..<2²⁴, 0 for what is missing.
    @Test func idColumnsNameTheItemItsAuthorCategoryAndUser() {
        let u = Self.features.request(user: "u", now: Self.now), v = Self.features.request(user: "v", now: Self.now)
        let i0 = row("i0", row: 0, request: u), i1 = row("i1", row: 1, request: u), unknown = row("x", row: -1, request: v)
        let codes = ["item", "author", "category", "user"].map { "id:" + $0 }
        #expect(codes.allSatisfy { Self.features.names.contains($0) })
        for r in [i0, i1] {
            for name in codes { #expect(r[name]! >= 1 && r[name]! < 16_777_216 && r[name]!.rounded() == r[name]!, "\(name) \(r[name]!)") }
        }
        #expect(i0["id:item"] != i1["id:item"] && i0["id:category"] != i1["id:category"])
        #expect(i0["id:author"] == i1["id:author"], "one author, a0")
        #expect(i0["id:user"] == i1["id:user"] && unknown["id:user"] != i0["id:user"])
        #expect(unknown["id:item"]! >= 1 && unknown["id:author"] == 0 && unknown["id:category"] == 0, "an unknown item has only its own id")
        #expect(row("x", row: -1, request: u)["id:item"] == unknown["id:item"])
    }

    /// The `sequence` columns: per step the item's and its category's codes, as the `ids`
    /// columns name them, newest first, 0 past the end; rows outside the item space skipped and
    /// counted; only positive actions count.
    @Test func sequenceColumnsHoldTheLastPositiveActions() {
        let u = Self.features.request(user: "u", now: Self.now, history: [1, -1, 0, 9, 1])
        #expect(u.skippedHistory == 2)
        let i0 = row("i0", row: 0, request: u), i1 = row("i1", row: 1, request: u)
        let steps = (0..<3).map { k in [i0["id:history:item#\(k)"]!, i0["id:history:category#\(k)"]!] }
        #expect(steps == [[i1["id:item"]!, i1["id:category"]!], [i0["id:item"]!, i0["id:category"]!], [i1["id:item"]!, i1["id:category"]!]])
        let short = row("i1", row: 1, request: Self.features.request(user: "u", now: Self.now, history: [0]))
        #expect([short["id:history:item#0"], short["id:history:item#1"], short["id:history:category#2"]] == [i0["id:item"], 0, 0])
        #expect(RankingFeatures.historyRows(types: [.click, .hide, .like, .followAuthor, .exposure, .share], rows: [1, 2, 3, 4, 5, 6]) == [1, 3, 6])
    }

    /// Per candidate, the newest actions of its leaf category in the long history, with their
    /// age buckets; padding when there are none; items outside the space skipped and counted.
    @Test func categorySequenceColumnsHoldTheNewestActionsOfTheCandidatesCategory() {
        let t = Self.now.timeIntervalSince1970, hour = 3_600.0
        let long = [(0, 400.0), (1, 30), (-1, 20), (0, 3), (9, 2), (0, 0.5)].map { LongHistoryIndex.Action(row: Int32($0.0), time: t - $0.1 * hour) }
        let u = Self.features.request(user: "u", now: Self.now, longHistory: long)
        #expect(u.skippedLongHistory == 2)
        let p = "id:category-sequence:"
        func steps(_ r: [String: Float]) -> [Float?] { [r[p + "item#0"], r[p + "age#0"], r[p + "item#1"], r[p + "age#1"]] }
        let i0 = row("i0", row: 0, request: u), i1 = row("i1", row: 1, request: u)
        // i0's leaf: the two newest of its three actions, half an hour (bucket 1) and 3 hours (2 ≤ 3 < 4: bucket 3) old.
        #expect(steps(i0) == [i0["id:item"], 1, i0["id:item"], 3])
        // i1's leaf: one action 30 hours old (16 ≤ 30 < 32: bucket 6), then padding.
        #expect(steps(i1) == [i1["id:item"], 6, 0, 0])
        #expect(steps(row("x", row: -1, request: u)) == [0, 0, 0, 0], "an item outside the space has no category to search")
        #expect(steps(row("i0", row: 0, request: Self.features.request(user: "u", now: Self.now))) == [0, 0, 0, 0])
        let buckets = [0, 3_599, 3_600, 7_199, 7_200, 16_384 * 3_600 - 1, 16_384 * 3_600, 1e12].map { RankingFeatures.ageBucket(seconds: $0) }
        #expect(buckets == [1, 1, 2, 2, 3, 15, 16, 16])
    }
}
