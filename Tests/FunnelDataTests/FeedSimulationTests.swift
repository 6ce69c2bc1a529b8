import Foundation
import FunnelData
import Testing

@Suite struct FeedSimulationTests {
    static func world(seed: UInt64 = 3, days: Int = 4) throws -> FeedWorld {
        var c = FeedWorld.Configuration()
        (c.seed, c.users, c.authors, c.items, c.days) = (seed, 400, 60, 1_500, days)
        return try FeedWorld(c)
    }

    static func run(_ world: FeedWorld, batchSize: Int = 10_000, maximumEvents: Int? = nil) throws -> RecordBatch {
        let simulation = FeedSimulation(world: world, batchSize: batchSize, maximumEvents: maximumEvents)
        var all = RecordBatch()
        while let b = try simulation.nextBatch() {
            #expect(b.count <= batchSize)
            all.users += b.users
            all.items += b.items
            all.events += b.events
        }
        return all
    }

    @Test func sameSeedSameEventsWhateverTheBatchSize() throws {
        let world = try Self.world()
        let one = try Self.run(world), other = try Self.run(try Self.world(), batchSize: 777)
        #expect(one.events.count > 10_000)
        #expect(one == other)
        #expect(try Self.run(try Self.world(seed: 4)).events != one.events)
        let capped = try Self.run(world, batchSize: 1_000, maximumEvents: 5_001)
        #expect(capped.events == Array(one.events.prefix(5_001)))
    }

    /// The truth a fused order is judged by: every action follows a click, so none is more
    /// likely than it; and the item of a user's favourite leaf is more likely clicked than the
    /// same-quality item of the leaf they care least about.
    @Test func expectedResponsesFollowTheResponseModel() throws {
        let world = try Self.world()
        let simulation = FeedSimulation(world: world)
        var favouriteWins = 0, compared = 0
        for user in 0..<50 {
            let base = world.users[user].base
            let best = base.indices.max { base[$0] < base[$1] }!, worst = base.indices.min { base[$0] < base[$1] }!
            for k in stride(from: user, to: world.items.count, by: 50) {
                let r = simulation.expectedResponse(user: user, item: k)
                #expect(r.click > 0 && r.click < 1)
                for p in [r.like, r.collect, r.share, r.comment, r.follow, r.completion] { #expect(p >= 0 && p <= r.click) }
                #expect(r.watchSeconds >= 0 && r.watchSeconds <= r.click * world.items[k].duration)
            }
            let inBest = world.items.indices.filter { Int(world.items[$0].leaf) == best }
            let inWorst = world.items.indices.filter { Int(world.items[$0].leaf) == worst }
            guard base[best] > base[worst] else { continue }
            func mean(_ items: [Int]) -> Double { items.reduce(0) { $0 + simulation.expectedResponse(user: user, item: $1).click } / Double(items.count) }
            compared += 1
            if mean(inBest) > mean(inWorst) { favouriteWins += 1 }
        }
        #expect(compared > 40 && favouriteWins == compared, "\(favouriteWins) of \(compared)")
    }

    @Test func eventsAreValidAndConsistent() throws {
        let all = try Self.run(try Self.world())
        let users = Set(all.users.map(\.id)), items = Dictionary(uniqueKeysWithValues: all.items.map { ($0.id, $0) })
        #expect(users.count == 400 && items.count == 1_500)
        var exposed = Set<String>()
        var counts: [EventType: Int] = [:]
        for e in all.events {
            try e.validate()
            #expect(users.contains(e.userID) && items[e.itemID] != nil)
            counts[e.type, default: 0] += 1
            let pair = e.userID + " " + e.itemID
            switch e.type {
            case .exposure: exposed.insert(pair)
            case .view:
                #expect(exposed.contains(pair))
                #expect(e.watchedSeconds! <= e.itemDuration! && e.itemDuration == items[e.itemID]!.numeric["duration"])
            default: #expect(exposed.contains(pair), "\(e.type) without an exposure")
            }
            if let created = items[e.itemID]?.createdAt { #expect(created <= e.timestamp, "an item shown before it was published") }
        }
        let clicks = Double(counts[.click]!), exposures = Double(counts[.exposure]!)
        #expect((0.05...0.3).contains(clicks / exposures), "click-through rate \(clicks / exposures)")
        #expect(counts[.view] == counts[.click])
        for type in [EventType.like, .collect, .share, .comment, .followAuthor, .hide] { #expect(counts[type, default: 0] > 0, "no \(type)") }
    }

    /// The response model shows in the data: users click their own interests and nearby items more.
    @Test func clicksFollowInterestsAndPlace() throws {
        let world = try Self.world()
        let all = try Self.run(world)
        var shown = [0.0, 0.0], clicked = [0.0, 0.0], shownLocal = [0.0, 0.0], clickedLocal = [0.0, 0.0]
        for e in all.events where e.type == .exposure || e.type == .click {
            let user = world.users[Int(e.userID.dropFirst())!], item = world.items[Int(e.itemID.dropFirst())!]
            let favourite = user.base[Int(item.leaf)] >= 0.3 ? 1 : 0, local = item.city == Int32(user.city) ? 1 : 0
            if e.type == .exposure { shown[favourite] += 1; shownLocal[local] += 1 } else { clicked[favourite] += 1; clickedLocal[local] += 1 }
        }
        let ctr = (0...1).map { clicked[$0] / shown[$0] }, localCTR = (0...1).map { clickedLocal[$0] / shownLocal[$0] }
        #expect(ctr[1] > 2 * ctr[0], "CTR on favourite categories \(ctr[1]) vs others \(ctr[0])")
        #expect(localCTR[1] > 1.2 * localCTR[0], "CTR on local items \(localCTR[1]) vs others \(localCTR[0])")
    }
}
