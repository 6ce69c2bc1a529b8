import Foundation

/// Items the ranker scored high that the user was not shown (the feed had no room), kept per
/// user for a later request. An item leaves the cache when it is shown, when it is older than
/// `maximumAge`, or when the user's cache is over `capacity` and it scores lowest.
public final class CacheChannel: RetrievalChannel, @unchecked Sendable {
    public let name = "cache"
    public let maximumAge: TimeInterval
    public let capacity: Int

    struct Entry {
        var score: Double
        var added: Date
    }

    /// Per user: item → entry. Guarded by `lock` (hence the unchecked Sendable).
    private var entries: [String: [String: Entry]] = [:]
    /// Adds since the last sweep of expired entries: users who never come back would otherwise
    /// keep their caches for ever.
    private var addsSinceSweep = 0
    public static let sweepEvery = 10_000
    private let lock = NSLock()

    private func withEntries<T>(_ body: (inout [String: [String: Entry]]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&entries)
    }

    public init(maximumAge: TimeInterval = 24 * 3600, capacity: Int = 200) {
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    /// Remembers ranked items that were not shown; a higher score for a cached item replaces it.
    public func add(_ items: [ScoredItem], for user: String, at time: Date) {
        withEntries { all in
            var cache = all[user] ?? [:]
            for item in items where (cache[item.item]?.score ?? -.infinity) < item.score {
                cache[item.item] = Entry(score: item.score, added: time)
            }
            if cache.count > capacity {
                let kept = cache.sorted { ($0.value.score, $1.key) > ($1.value.score, $0.key) }.prefix(capacity)
                cache = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
            }
            all[user] = cache.isEmpty ? nil : cache
            addsSinceSweep += 1
            if addsSinceSweep >= Self.sweepEvery {
                addsSinceSweep = 0
                all = all.compactMapValues { entries in
                    let live = entries.filter { time.timeIntervalSince($0.value.added) <= maximumAge }
                    return live.isEmpty ? nil : live
                }
            }
        }
    }

    /// Users with something cached.
    public var userCount: Int { withEntries { $0.count } }

    /// Removes items that were shown to the user.
    public func markShown(_ items: some Sequence<String>, for user: String) {
        withEntries { all in
            for item in items { all[user]?[item] = nil }
            if all[user]?.isEmpty == true { all[user] = nil }
        }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        withEntries { all in
            guard var cache = all[context.userID] else { return [] }
            cache = cache.filter { context.now.timeIntervalSince($0.value.added) <= maximumAge }
            all[context.userID] = cache.isEmpty ? nil : cache
            return cache.map { ScoredItem(item: $0.key, score: $0.value.score) }.best(limit)
        }
    }
}
