import Foundation
import FunnelRetrieval
import Testing

@Suite struct CacheChannelTests {
    static let t0 = Date(timeIntervalSince1970: 1_735_689_600)

    static func retrieve(_ cache: CacheChannel, _ user: String, at time: Date) async throws -> [String] {
        try await cache.retrieve(for: RetrievalContext(userID: user, now: time), limit: 10).map(\.item)
    }

    @Test func itemsLeaveWhenShownTooOldOrCrowdedOut() async throws {
        let cache = CacheChannel(maximumAge: 3600, capacity: 3)
        cache.add([ScoredItem(item: "a", score: 0.9), ScoredItem(item: "b", score: 0.5)], for: "u", at: Self.t0)
        cache.add([ScoredItem(item: "c", score: 0.7), ScoredItem(item: "b", score: 0.8)], for: "u", at: Self.t0.addingTimeInterval(1800))
        #expect(try await Self.retrieve(cache, "u", at: Self.t0.addingTimeInterval(1900)) == ["a", "b", "c"], "b's higher score replaced it")
        #expect(try await Self.retrieve(cache, "other", at: Self.t0).isEmpty)
        cache.markShown(["b"], for: "u")
        #expect(try await Self.retrieve(cache, "u", at: Self.t0.addingTimeInterval(1900)) == ["a", "c"])
        cache.add([ScoredItem(item: "d", score: 0.6), ScoredItem(item: "e", score: 0.95)], for: "u", at: Self.t0.addingTimeInterval(2000))
        // Capacity 3 keeps e (0.95), a (0.9), c (0.7); d (0.6) is crowded out.
        #expect(try await Self.retrieve(cache, "u", at: Self.t0.addingTimeInterval(2000)) == ["e", "a", "c"])
        // a was cached at t0 and expires after an hour; c (t0 + 30 min) and e stay a little longer.
        #expect(try await Self.retrieve(cache, "u", at: Self.t0.addingTimeInterval(3700)) == ["e", "c"])
        #expect(try await Self.retrieve(cache, "u", at: Self.t0.addingTimeInterval(9000)).isEmpty)
    }

    /// The caches of users who never come back are swept once expired, so memory stays bounded
    /// by the active users.
    @Test func expiredCachesAreSwept() {
        let cache = CacheChannel(maximumAge: 3600, capacity: 3)
        cache.add([ScoredItem(item: "a", score: 1)], for: "gone", at: Self.t0)
        cache.add([], for: "nobody", at: Self.t0)
        #expect(cache.userCount == 1)
        for k in 0..<CacheChannel.sweepEvery {
            cache.add([ScoredItem(item: "a", score: 1)], for: "u\(k % 7)", at: Self.t0.addingTimeInterval(7200))
        }
        #expect(cache.userCount == 7, "the expired cache of 'gone' is swept")
    }
}
