import Foundation
import FunnelData
import FunnelPipeline
import FunnelRanking
import FunnelRetrieval
import Testing

@Suite struct FeedPipelineTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    /// Thirty available items (and one hidden), a few clicks: the channels can propose 30 at most.
    static let pipeline = makePipeline()

    static func makePipeline(_ configuration: PipelineConfiguration = PipelineConfiguration()) -> FeedPipeline {
        let items = (0..<30).map { Item(id: "i\($0)", categories: ["c\($0 % 3)"], createdAt: now.addingTimeInterval(-Double($0) * 60)) }
            + [Item(id: "gone", createdAt: now, isHidden: true)]
        let events = (0..<30).flatMap { k in
            (0...(k % 4)).map { v in Event(userID: "v\(v)", itemID: "i\(k)", type: .click, timestamp: now.addingTimeInterval(-3600)) }
        }
        return try! FeedPipeline(version: "test", configuration: configuration, items: items, events: events, now: now, ranker: nil)
    }

    /// Each feed leaves out what the user was shown while anything else remains; once nothing
    /// does, the feed is still full, of items shown before.
    @Test func aUserWhoHasSeenEverythingStillGetsAFullFeed() async {
        let state = LiveState()
        let request = FeedRequest(user: "newcomer", n: 20, now: Self.now)
        let first = await Self.pipeline.feed(request, state: state).items.map(\.item)
        #expect(first.count == 20 && Set(first).count == 20)
        let second = await Self.pipeline.feed(request, state: state).items.map(\.item)
        let unseen = Set((0..<30).map { "i\($0)" }).subtracting(first)
        #expect(second.count == 20 && Set(second).count == 20)
        #expect(unseen.isSubset(of: second), "the ten not yet shown come first, ten shown before fill the feed")
        for _ in 0..<3 {
            let again = await Self.pipeline.feed(FeedRequest(user: "newcomer", n: 20, now: Self.now, explain: true), state: state)
            #expect(again.items.count == 20 && !again.items.contains { $0.item == "gone" })
            #expect(again.explanation?.removedByFilter["exposed"] == 10, "30 candidates, all shown before: 20 shown again")
        }
    }

    /// What the ranker put high but the feed had no room for comes back through the cache
    /// channel in the user's next feed; with its quota at 0 nothing is cached.
    @Test func rankedButNotShownComesBackFromTheCache() async {
        let state = LiveState()
        let first = await Self.pipeline.feed(FeedRequest(user: "newcomer", n: 5, now: Self.now), state: state).items.map(\.item)
        #expect(first.count == 5)
        let second = await Self.pipeline.feed(FeedRequest(user: "newcomer", n: 5, now: Self.now.addingTimeInterval(60), explain: true), state: state)
        let byCache = second.explanation?.retrievedByChannel["cache"] ?? 0
        #expect(byCache == 5, "the next five of the first shortlist are cached")
        #expect(second.items.allSatisfy { !first.contains($0.item) })
        #expect(second.items.contains { $0.channels?.contains { $0.channel == "cache" } == true })

        var off = PipelineConfiguration()
        off.quotas = ["cache": 0]
        let pipeline = try! FeedPipeline(version: "no-cache", configuration: off, items: [Item(id: "a"), Item(id: "b"), Item(id: "c")],
                                         events: [], now: Self.now, ranker: nil)
        let quiet = LiveState()
        _ = await pipeline.feed(FeedRequest(user: "v1", n: 1, now: Self.now), state: quiet)
        #expect(quiet.cache.userCount == 0)
    }

    /// The channel names quotas accept are those of the pipeline's channels (and the cache).
    /// A surface with a reranker shows a more varied list, from its list's best `depth · n`; one
    /// without shows its list as ranked. Popularity here follows the item number (i29 has the
    /// most clicks within its class of four), so the top is a run of one category class.
    @Test func surfacesRerankTheirLists() {
        var configuration = PipelineConfiguration()
        var settings = RerankSettings()
        (settings.reranker, settings.mmrLambda, settings.mmrWindow, settings.depth) = ("mmr", 0.3, 2, 3)
        configuration.surfaces[.popular] = settings
        configuration.surfaces[.similar] = settings
        let pipeline = Self.makePipeline(configuration)
        let listed = pipeline.popularItems(pipeline.candidateCount(of: .popular, n: 6))
        #expect(listed.count == 18)
        let shown = pipeline.reranked(listed, for: .popular, n: 6)
        let category = { (id: String) in pipeline.item(id)!.categories[0] }
        #expect(Set(shown).isSubset(of: listed) && shown.count == 6)
        #expect(Set(shown.map(category)).count == 3)
        for k in shown.indices.dropFirst() { #expect(category(shown[k]) != category(shown[k - 1]), "neighbours differ: \(shown)") }
        #expect(Self.pipeline.reranked(listed, for: .popular, n: 6) == Array(listed.prefix(6)), "no settings: the list as ranked")
        #expect(pipeline.candidateCount(of: .latest, n: 6) == 6)
    }

    @Test func quotaNamesAreTheChannels() {
        #expect(Set(PipelineConfiguration.channels) == Set(Self.pipeline.channels.map(\.name) + ["two-tower", "cache"]).union(PipelineConfiguration.offByDefault))
    }

    /// A factorisation channel (ALS, BPR) is built only when given a quota; it then proposes
    /// from a user's latest actions, including one recorded after the build.
    @Test(arguments: ["als", "bpr"])
    func aFactorizationChannelServesOnceGivenAQuota(_ name: String) async {
        #expect(!Self.pipeline.channels.contains { $0.name == name })
        var configuration = PipelineConfiguration()
        configuration.quotas = [name: 10]
        let pipeline = Self.makePipeline(configuration)
        #expect(pipeline.channels.contains { $0.name == name })
        let holder = PipelineHolder(pipeline)
        holder.record([Event(userID: "newcomer", itemID: "i5", type: .like, timestamp: Self.now)])
        let feed = await pipeline.feed(FeedRequest(user: "newcomer", n: 10, now: Self.now, explain: true), state: holder.state)
        #expect((feed.explanation?.retrievedByChannel[name] ?? 0) > 0, "\(feed.explanation?.retrievedByChannel ?? [:])")
    }

    /// An item written after the build reaches feeds at once: through the latest channel, and
    /// through the followed-authors channel for a user who follows its author; written hidden,
    /// it leaves them; a pipeline built later has it and the state forgets it.
    @Test func itemsWrittenSinceTheBuildAreServedAtOnce() async {
        let items = (0..<40).map { Item(id: "i\($0)", categories: ["c\($0 % 4)"], authorID: "a\($0 % 5)", createdAt: Self.now.addingTimeInterval(-86_400 * Double(1 + $0))) }
        let events = [Event(userID: "fan", itemID: "i7", type: .followAuthor, timestamp: Self.now.addingTimeInterval(-600))]
            + (0..<40).map { Event(userID: "v\($0 % 6)", itemID: "i\($0)", type: .click, timestamp: Self.now.addingTimeInterval(-3600)) }
        var configuration = PipelineConfiguration()
        configuration.quotas = ["latest": 3]
        let pipeline = try! FeedPipeline(version: "fresh", configuration: configuration, items: items, events: events, now: Self.now, ranker: nil)
        let state = LiveState()
        let later = Self.now.addingTimeInterval(30)
        let new = Item(id: "new", categories: ["c9"], authorID: "a2", createdAt: Self.now.addingTimeInterval(10))
        state.write([new], at: Self.now.addingTimeInterval(20))

        let fan = await pipeline.feed(FeedRequest(user: "fan", n: 40, now: later, explain: true), state: state)
        let entry = fan.items.first { $0.item == "new" }
        #expect(entry?.channels?.contains { $0.channel == "author-followed" } == true, "the fan follows a2 (by following i7's author)")
        #expect(entry?.channels?.contains { $0.channel == "latest" } == true)
        let stranger = await pipeline.feed(FeedRequest(user: "stranger", n: 50, now: later, explain: true), state: state)
        #expect(stranger.items.first { $0.item == "new" }?.channels?.map(\.channel) == ["latest"])
        #expect(pipeline.latestItems(2, fresh: state.freshItems).first == "new")
        #expect(pipeline.latestItems(2).first != "new")

        var hidden = new
        hidden.isHidden = true
        state.write([hidden], at: Self.now.addingTimeInterval(25))
        let after = await pipeline.feed(FeedRequest(user: "fan", n: 40, now: later), state: state)
        #expect(!after.items.contains { $0.item == "new" })
        state.write([new], at: Self.now.addingTimeInterval(26))
        #expect(state.freshItems.item("new") == new)
        // The ranker reads it as written: the fan follows its author.
        let ranker = try! LogisticRanker(featureNames: ["interest:follows-author"], mean: [0], deviation: [1], weights: [4], bias: -2)
        let ranked = try! FeedPipeline(version: "ranked", configuration: configuration, items: items, events: events, now: Self.now, ranker: ranker)
        let scored = await ranked.feed(FeedRequest(user: "fan", n: 40, now: later, explain: true), state: state).items.first { $0.item == "new" }
        #expect(abs((scored?.predictions?["click"] ?? 0) - 1 / (1 + exp(-2))) < 1e-6)
        state.pipelineBuilt(try! FeedPipeline(version: "later", configuration: configuration, items: items + [new], events: events,
                                              now: Self.now.addingTimeInterval(60), ranker: nil))
        #expect(state.freshItems.isEmpty)
    }

    /// Engagement written since the build lifts items into the popular and trending lists at
    /// once (the feed's channels and `GET /v1/popular`), on top of what the build counted; a
    /// pipeline built later (which has read it) takes over.
    @Test func engagementSinceTheBuildCountsAtOnce() async throws {
        let items = (0..<40).map { Item(id: "i\($0)", categories: ["c\($0 % 4)"], createdAt: Self.now.addingTimeInterval(-86_400)) }
        // i0…i19 clicked once an hour ago, i0…i4 a second time a day ago.
        let events = (0..<20).map { Event(userID: "v\($0 % 6)", itemID: "i\($0)", type: .click, timestamp: Self.now.addingTimeInterval(-3600)) }
            + (0..<5).map { Event(userID: "v9", itemID: "i\($0)", type: .click, timestamp: Self.now.addingTimeInterval(-86_400)) }
        var configuration = PipelineConfiguration()
        configuration.quotas = ["latest": 0, "popular": 5, "trending": 5]
        let pipeline = try FeedPipeline(version: "trend", configuration: configuration, items: items, events: events, now: Self.now, ranker: nil)
        let state = LiveState()
        state.pipelineBuilt(pipeline)
        let later = Self.now.addingTimeInterval(60)
        let before = await pipeline.feed(FeedRequest(user: "stranger", n: 10, now: later), state: state)
        #expect(!before.items.contains { $0.item == "i33" })
        #expect(Set(pipeline.popularItems(5, live: state.popular)) == Set((0..<5).map { "i\($0)" }))
        // i33 liked five times now; i5 clicked once more, which ties it with i0…i4 in popularity.
        let written = (0..<5).map { Event(userID: "w\($0)", itemID: "i33", type: .like, timestamp: Self.now.addingTimeInterval(30)) }
            + [Event(userID: "w9", itemID: "i34", type: .exposure, timestamp: Self.now.addingTimeInterval(30)),
               Event(userID: "w9", itemID: "i5", type: .click, timestamp: Self.now.addingTimeInterval(30))]
        state.write(written)
        let after = await pipeline.feed(FeedRequest(user: "stranger", n: 10, now: later, explain: true), state: state)
        #expect(Set(after.items.first { $0.item == "i33" }?.channels?.map(\.channel) ?? []) == ["popular", "trending"])
        #expect(!after.items.contains { $0.item == "i34" }, "an exposure is no engagement")
        let popular = pipeline.popularItems(6, live: state.popular)
        #expect(popular.first == "i33" && Set(popular.dropFirst()) == Set((0..<5).map { "i\($0)" }), "i5 ties i0…i4 and loses on its id: \(popular)")
        #expect(pipeline.popularItems(7, live: state.popular).last == "i5")

        let rebuilt = try FeedPipeline(version: "later", configuration: configuration, items: items, events: events + written, now: later, ranker: nil)
        state.pipelineBuilt(rebuilt)
        #expect(!state.popular.hasWrites && !state.trending.hasWrites)
        #expect(rebuilt.popularItems(7, live: state.popular) == popular + ["i5"])
    }

    /// A new item with a place reaches the nearby and same-city channels of a request near it,
    /// and not of one far away; engagement since the build lifts a nearby item in their order.
    @Test func aNewItemReachesFeedsNearItsPlace() async {
        let here = GeoPoint(latitude: 48.8566, longitude: 2.3522)
        let items = (0..<20).map { Item(id: "i\($0)", location: GeoPoint(latitude: 48.85 + Double($0) * 0.001, longitude: 2.35), createdAt: Self.now.addingTimeInterval(-86_400)) }
        var configuration = PipelineConfiguration()
        configuration.quotas = ["latest": 0]
        let pipeline = try! FeedPipeline(version: "near", configuration: configuration, items: items, events: [], now: Self.now, ranker: nil)
        let state = LiveState()
        state.write([Item(id: "cafe", location: GeoPoint(latitude: 48.857, longitude: 2.353), createdAt: Self.now)], at: Self.now)
        let near = await pipeline.feed(FeedRequest(user: "walker", n: 30, now: Self.now.addingTimeInterval(5), location: here, explain: true), state: state)
        #expect(Set(near.items.first { $0.item == "cafe" }?.channels?.map(\.channel) ?? []) == ["nearby", "same-city"])
        let far = await pipeline.feed(FeedRequest(user: "walker", n: 30, now: Self.now.addingTimeInterval(5), location: GeoPoint(latitude: 40.7, longitude: -74), explain: true), state: state)
        #expect(!far.items.contains { $0.item == "cafe" })
        #expect(FreshItems().adding([Item(id: "x", location: here)], at: Self.now).items(near: here, precision: 5, now: Self.now, limit: 5).map(\.item) == ["x"])

        // Engagement since the build lifts a nearby item into the channel's few: i19, unseen so far.
        configuration.quotas = ["latest": 0, "nearby": 3, "same-city": 0, "popular": 0, "trending": 0]
        let few = try! FeedPipeline(version: "few", configuration: configuration, items: items, events: [], now: Self.now, ranker: nil)
        state.pipelineBuilt(few)
        func nearby() async -> [String] {
            await few.feed(FeedRequest(user: "walker", n: 30, now: Self.now.addingTimeInterval(5), location: here, explain: true), state: state)
                .items.filter { $0.channels?.contains { $0.channel == "nearby" } == true }.map(\.item)
        }
        #expect(await !nearby().contains("i19"))
        state.write((0..<3).map { Event(userID: "f\($0)", itemID: "i19", type: .like, timestamp: Self.now.addingTimeInterval(2)) })
        #expect(await nearby().contains("i19"))
    }

    /// Events written while a new version was being built reach it when it is swapped in: it
    /// read the log before they came.
    @Test func eventsWrittenDuringABuildReachTheNewVersion() async {
        let items = (0..<10).map { Item(id: "i\($0)", createdAt: Self.now.addingTimeInterval(-86_400)) }
        func build(at time: Date) -> FeedPipeline {
            try! FeedPipeline(version: "v", configuration: PipelineConfiguration(), items: items, events: [], now: time, ranker: nil)
        }
        let holder = PipelineHolder(build(at: Self.now))
        let next = build(at: Self.now.addingTimeInterval(60))   // read the log a minute in
        let before = Event(userID: "u", itemID: "i1", type: .click, timestamp: Self.now.addingTimeInterval(30))
        let during = Event(userID: "u", itemID: "i2", type: .like, timestamp: Self.now.addingTimeInterval(90))
        holder.record([before, during])
        #expect(holder.current?.indexes.lastN.actions(of: "u").count == 2)
        holder.swap(next)
        #expect(next.indexes.lastN.actions(of: "u").map(\.itemID) == ["i2"], "what came after its build is replayed, not what it read")
        holder.record([Event(userID: "u", itemID: "i3", type: .click, timestamp: Self.now.addingTimeInterval(120))])
        #expect(next.indexes.lastN.actions(of: "u").map(\.itemID) == ["i3", "i2"])
    }
}
