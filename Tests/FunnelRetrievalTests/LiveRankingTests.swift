import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct LiveRankingTests {
    /// Events written in many small batches keep the list what sorting every item's score would
    /// give: the built scores plus each event's weight (decayed from the build for trending), the
    /// best `listed` (1,000) in best-first order, an item beyond them joining once it passes the
    /// last.
    @Test(arguments: [nil, 3_600.0]) func writesKeepTheListSorted(halfLife: TimeInterval?) {
        let epoch = Date(timeIntervalSince1970: 1_790_000_000)
        var random = SplitMix64(seed: 17)
        let built = (0..<3_000).map { ScoredItem(item: "i\($0)", score: Double(random.next() % 400) / 4, row: Int32($0)) }
            .sorted(by: ScoredItem.bestFirst)
        let live = LiveRanking(name: "popular", halfLife: halfLife)
        live.restart(at: epoch, built: built)
        var expected = Dictionary(uniqueKeysWithValues: built.map { ($0.item, $0.score) })
        let types: [EventType] = [.click, .like, .exposure, .share, .collect]
        for batch in 0..<300 {
            let events = (0..<Int(random.next() % 20)).map { k -> Event in
                // Mostly items outside the first thousand, so that some climb into it.
                let item = "i\(random.next() % 3_000)", type = types[Int(random.next() % UInt64(types.count))]
                return Event(userID: "u", itemID: item, type: type, timestamp: epoch.addingTimeInterval(Double(batch * 60 + k)))
            }
            live.record(events)
            for e in events {
                let weight = InterestWeights.standard.weight(of: e.type)
                guard weight != 0 else { continue }
                expected[e.itemID]! += halfLife.map { weight * exp2(e.timestamp.timeIntervalSince(epoch) / $0) } ?? weight
            }
        }
        let sorted = expected.map { ScoredItem(item: $0.key, score: $0.value) }.sorted(by: ScoredItem.bestFirst).prefix(1_000)
        let listed = live.ranked(limit: .max)
        #expect(listed.map(\.item) == sorted.map(\.item))
        #expect(zip(listed, sorted).allSatisfy { abs($0.score - $1.score) <= 1e-9 * max(1, abs($1.score)) })
        #expect(listed.allSatisfy { $0.row == Int32($0.item.dropFirst())! }, "rows carried for the merge")
    }
}
