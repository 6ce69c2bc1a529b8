import Foundation
import FunnelData
import FunnelPipeline
import Testing

@Suite struct FeedPipelineTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    /// Thirty available items (and one hidden), a few clicks: the channels can propose 30 at most.
    static let pipeline: FeedPipeline = {
        let items = (0..<30).map { Item(id: "i\($0)", categories: ["c\($0 % 3)"], createdAt: now.addingTimeInterval(-Double($0) * 60)) }
            + [Item(id: "gone", createdAt: now, isHidden: true)]
        let events = (0..<30).flatMap { k in
            (0...(k % 4)).map { v in Event(userID: "v\(v)", itemID: "i\(k)", type: .click, timestamp: now.addingTimeInterval(-3600)) }
        }
        return try! FeedPipeline(version: "test", configuration: PipelineConfiguration(), items: items, events: events, now: now, ranker: nil)
    }()

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
}
