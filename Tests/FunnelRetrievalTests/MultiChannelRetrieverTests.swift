import Foundation
import FunnelData
import FunnelIndex
import FunnelRetrieval
import Testing

@Suite struct MultiChannelRetrieverTests {
    static let now = Date(timeIntervalSince1970: 1_735_689_600)

    struct Broken: RetrievalChannel {
        struct Failure: Error {}
        let name = "broken"
        func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] { throw Failure() }
    }

    static func channel(_ name: String, _ items: [String]) -> RankedListChannel {
        RankedListChannel(name: name, ranking: items.enumerated().map { ScoredItem(item: $0.element, score: Double(10 - $0.offset)) })
    }

    @Test func mergesByRankKeepingProvenanceQuotasAndFilters() async {
        var exposures = ExposureFilter()
        exposures.insert("b2", at: Self.now)
        let items = ["a1", "a2", "a3", "b1", "b2", "b3", "b4", "shared"].map { Item(id: $0, authorID: "author-\($0.prefix(1))") }
            + [Item(id: "hidden", isHidden: true), Item(id: "blocked", authorID: "spammer"), Item(id: "expired", expiresAt: Self.now)]
        let retriever = MultiChannelRetriever(
            sources: [.init(Self.channel("a", ["a1", "shared", "hidden", "expired", "a2", "a3"]), quota: 3),
                      .init(Self.channel("b", ["b1", "b2", "shared", "blocked", "b3", "b4"]), quota: 2),
                      .init(Broken(), quota: 5)],
            filters: [ExposedFilter(exposures), AvailabilityFilter(catalogue: items, blockedAuthors: ["spammer"]), DislikedFilter()])
        let context = RetrievalContext(userID: "u", now: Self.now, recentActions: [Event(userID: "u", itemID: "a2", type: .hide, timestamp: Self.now)])
        let result = await retriever.retrieve(for: context)
        // a: a1, shared, (hidden, expired: unavailable), (a2: disliked), a3 → quota 3. b: b1, (b2: exposed), shared → quota 2.
        #expect(result.candidates.map(\.item) == ["a1", "b1", "shared", "a3"])
        #expect(result.candidates[2].provenance.map(\.channel) == ["a", "b"])
        #expect(result.candidates[2].provenance.map(\.rank) == [1, 1])
        #expect(result.failures.keys.sorted() == ["broken"])
    }

    /// Records the limit each request asked it for, and proposes nothing.
    final class Recording: RetrievalChannel, @unchecked Sendable {
        let name = "recording"
        private let lock = NSLock()
        private var asked: [Int] = []
        var limits: [Int] { lock.withLock { asked } }
        func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
            lock.withLock { asked.append(limit) }
            return []
        }
    }

    /// Overfetching makes up for what filters remove; with none, a channel is asked for its quota.
    @Test func channelsAreAskedForMoreThanTheirQuotaOnlyWhenFiltered() async {
        let channel = Recording()
        var retriever = MultiChannelRetriever(sources: [.init(channel, quota: 30)])
        retriever.overfetch = 1.5
        let context = RetrievalContext(userID: "u", now: Self.now)
        _ = await retriever.retrieve(for: context)
        retriever.filters = [DislikedFilter()]
        _ = await retriever.retrieve(for: context)
        #expect(channel.limits == [30, 45])
    }

    /// With an item space, proposals merge by row whatever their hints (right, wrong, missing, or
    /// the item outside the space), into the same candidates as by id, each with its row.
    @Test func mergingByRowMatchesMergingByID() async throws {
        let space = try IDInterner(ids: ["x", "y", "z"])
        let a = RankedListChannel(name: "a", ranking: [ScoredItem(item: "x", score: 3, row: 0), ScoredItem(item: "y", score: 2, row: 2),
                                                        ScoredItem(item: "new", score: 1)])
        let b = RankedListChannel(name: "b", ranking: [ScoredItem(item: "y", score: 5), ScoredItem(item: "new", score: 4, row: 1),
                                                        ScoredItem(item: "z", score: 3, row: 7)])
        let context = RetrievalContext(userID: "u", now: Self.now)
        let byID = await MultiChannelRetriever(sources: [.init(a, quota: 3), .init(b, quota: 3)]).retrieve(for: context)
        var retriever = MultiChannelRetriever(sources: [.init(a, quota: 3), .init(b, quota: 3)])
        retriever.space = space
        let byRow = await retriever.retrieve(for: context)
        #expect(byRow.candidates.map(\.item) == ["x", "y", "new", "z"])
        #expect(byRow.candidates.map(\.item) == byID.candidates.map(\.item))
        #expect(byRow.candidates.map { Array($0.provenance) } == byID.candidates.map { Array($0.provenance) })
        #expect(byRow.candidates.map(\.row) == [0, 1, -1, 2])
        // y: first by b at rank 0, then by a at rank 1.
        #expect(byRow.candidates[1].provenance.map(\.channel) == ["b", "a"] && byRow.candidates[1].provenance.map(\.source) == [1, 0])
    }

    @Test func thresholdKeepsTheBestValues() {
        let values: [Double] = [0.5, -2, 3, 3, 1e-9, -0.0, 7]
        #expect(values.threshold(keeping: 1) == 7)
        #expect(values.threshold(keeping: 3) == 3, "ties: the third best equals the second")
        #expect(values.threshold(keeping: 4) == 0.5)
        #expect(values.threshold(keeping: 7) == -2)
    }

    @Test func actedOnByRowOrByID() {
        let actions = [Event(userID: "u", itemID: "x", type: .click, timestamp: Self.now), Event(userID: "u", itemID: "fresh", type: .like, timestamp: Self.now)]
        let context = RetrievalContext(userID: "u", now: Self.now, recentActions: actions, rows: [4, -1], location: nil)
        #expect(context.actedOnRows == [4])
        #expect(context.hasActedOn(row: 4) == true && context.hasActedOn(row: 3) == false)
        #expect(context.hasActedOn(ScoredItem(item: "x", score: 0, row: 4)) && context.hasActedOn(ScoredItem(item: "fresh", score: 0)))
        #expect(!context.hasActedOn(ScoredItem(item: "y", score: 0, row: 5)))
        #expect(RetrievalContext(userID: "u", now: Self.now, recentActions: actions).hasActedOn(row: 4) == nil, "no rows without an item space")
    }

    @Test func popularityDecaysByHalfLife() {
        let t = Self.now
        let events = [Event(userID: "u", itemID: "old", type: .like, timestamp: t.addingTimeInterval(-7200)),      // 2 · 2^(−2) = 0.5
                      Event(userID: "u", itemID: "new", type: .click, timestamp: t.addingTimeInterval(-3600)),     // 1 · 2^(−1) = 0.5
                      Event(userID: "v", itemID: "new", type: .click, timestamp: t),                               // 1
                      Event(userID: "v", itemID: "future", type: .click, timestamp: t.addingTimeInterval(60)),     // ignored
                      Event(userID: "v", itemID: "seen", type: .exposure, timestamp: t)]                           // no weight
        let trending = RankedListChannel.popularity(events, now: t, halfLife: 3600)
        #expect(trending.map(\.item) == ["new", "old"])
        #expect(abs(trending[0].score - 1.5) < 1e-12 && abs(trending[1].score - 0.5) < 1e-12)
        #expect(RankedListChannel.popularity(events, now: t).map(\.score) == [2, 2], "without decay: like 2, two clicks 2")
        #expect(RankedListChannel.popularity(events, now: t).map(\.item) == ["new", "old"], "ties go to the smaller id")
    }

    @Test func latestSkipsUnavailableAndFutureItems() async throws {
        let items = [Item(id: "x", createdAt: Self.now.addingTimeInterval(-10)), Item(id: "y", createdAt: Self.now.addingTimeInterval(-5)),
                     Item(id: "z", createdAt: Self.now.addingTimeInterval(5)), Item(id: "h", createdAt: Self.now, isHidden: true),
                     Item(id: "e", createdAt: Self.now, expiresAt: Self.now)]
        let latest = RankedListChannel.latest(items, now: Self.now)
        #expect(try await latest.retrieve(for: RetrievalContext(userID: "u", now: Self.now), limit: 10).map(\.item) == ["y", "x"])
    }

    /// `best` must equal sorting everything and cutting, ties included, whatever the limit.
    @Test func bestEqualsSortedPrefix() {
        var generator = SplitMix64(seed: 11)
        for trial in 0..<200 {
            let count = Int(generator.next() % 60)
            // Few distinct scores, so ties straddle the cut; negative scores and zero too.
            let items = (0..<count).map { _ in ScoredItem(item: "i\(generator.next() % 1000)", score: Double(Int(generator.next() % 7) - 3) / 2) }
            let limit = Int(generator.next() % 70)
            #expect(items.best(limit) == Array(items.sorted(by: ScoredItem.bestFirst).prefix(limit)), "trial \(trial)")
        }
    }
}
