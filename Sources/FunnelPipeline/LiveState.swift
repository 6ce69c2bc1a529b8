import Foundation
import FunnelData
import FunnelIndex
import FunnelRetrieval

/// What changes between rebuilds of the pipeline and must survive them: each user's exposure
/// filter (what they were shown lately) and cache of ranked items not yet shown; the items
/// written, hidden or deleted and the engagement written since the catalogue and the log were
/// read. Shared by every pipeline version the server swaps in.
///
/// A server that saves the filters (`trackUnsaved()`) also keeps what each user was shown since
/// the last save, and when each user's filter last took in the stored one.
public final class LiveState: @unchecked Sendable {
    private struct UserExposures {
        var filter: ExposureFilter?
        /// When the stored filter was last merged in (nil: never, this process).
        var syncedAt: ContinuousClock.Instant?
    }

    /// The user-state kind under which the exposure filters are stored.
    public static let storedKind = "exposure-filter"

    private let lock = NSLock()
    private var exposures: [String: UserExposures] = [:]
    /// Exposures not yet handed to `takeUnsaved`, per user; nil when nothing saves them.
    private var unsaved: [String: [(items: [String], time: Date)]]?
    private var removed: Set<String> = []
    private var fresh = FreshItems()
    /// The popular and trending lists with the engagement written since the build.
    public let popular = LiveRanking(name: "popular", halfLife: nil)
    public let trending = LiveRanking(name: "trending", halfLife: RetrievalIndexes.Parameters().trendingHalfLife)
    /// The quality that orders the nearby lists, with the engagement written since the build.
    public let quality = LiveRanking(name: "quality", halfLife: RetrievalIndexes.Parameters().qualityHalfLife)
    /// Serialises writers of `fresh`, which rebuild it outside `lock` (feeds never wait on that).
    private let freshWriters = NSLock()
    public let filterConfiguration: ExposureFilter.Configuration
    /// The cache channel: per user, what the ranker put high in a feed that had no room for it.
    public let cache = CacheChannel(maximumAge: 86_400, capacity: 50)

    /// `expectedPerDay`: exposures a user's daily segment is sized for.
    public init(exposureDays: Int = 7, expectedPerDay: Int = 200) {
        var c = ExposureFilter.Configuration()
        (c.segmentCount, c.expectedPerSegment) = (exposureDays, expectedPerDay)
        filterConfiguration = c
    }

    /// A live state whose exposure filters span the configuration's `exposureDays`.
    public convenience init(for configuration: PipelineConfiguration) {
        self.init(exposureDays: configuration.exposureDays)
    }

    /// From now on, keeps what feeds show until `takeUnsaved()` hands it to a saver.
    public func trackUnsaved() {
        lock.withLock { if unsaved == nil { unsaved = [:] } }
    }

    public func recordExposures(_ items: [String], to user: String, at time: Date) {
        lock.withLock {
            var filter = exposures[user]?.filter ?? ExposureFilter(filterConfiguration)
            for item in items { filter.insert(item, at: time) }
            exposures[user, default: UserExposures()].filter = filter
            unsaved?[user, default: []].append((items, time))
        }
    }

    /// The exposures recorded since the last call, as one filter per user, for a saver to merge
    /// into the store; they are then no longer kept here as unsaved.
    public func takeUnsaved() -> [String: ExposureFilter] {
        let taken = lock.withLock {
            defer { if unsaved != nil { unsaved = [:] } }
            return unsaved ?? [:]
        }
        return taken.mapValues { shown in
            var filter = ExposureFilter(filterConfiguration)
            for (items, time) in shown { for item in items { filter.insert(item, at: time) } }
            return filter
        }
    }

    /// Merges what the store holds for `user` (nil: nothing) into their live filter and notes
    /// the time, so that `lastSynced` tells when to read it again.
    public func takeIn(stored: ExposureFilter?, for user: String, at instant: ContinuousClock.Instant) {
        lock.withLock {
            var entry = exposures[user, default: UserExposures()]
            if let stored {   // into a filter of this configuration, whatever the stored one was saved under
                var filter = entry.filter ?? ExposureFilter(filterConfiguration)
                filter.formUnion(stored)
                entry.filter = filter
            }
            entry.syncedAt = max(entry.syncedAt ?? instant, instant)
            exposures[user] = entry
        }
    }

    /// When `user`'s filter last took in the stored one, in this process.
    public func lastSynced(_ user: String) -> ContinuousClock.Instant? { lock.withLock { exposures[user]?.syncedAt } }

    public func isRemoved(_ item: String) -> Bool { lock.withLock { removed.contains(item) } }

    /// Items written since the pipeline serving was built: feeds offer them at once.
    public var freshItems: FreshItems { lock.withLock { fresh } }

    /// Notes items written at `time`: hidden ones leave every feed, visible ones come back and
    /// reach the feeds at once (new ones through the latest and followed-authors channels).
    public func write(_ items: [Item], at time: Date) {
        freshWriters.withLock {
            let next = lock.withLock { fresh }.adding(items, at: time)
            lock.withLock {
                fresh = next
                for item in items { if item.isHidden { removed.insert(item.id) } else { removed.remove(item.id) } }
            }
        }
    }

    /// Notes events written: their engagement reaches the popular, trending and nearby lists at once.
    public func write(_ events: [Event]) {
        for ranking in [popular, trending, quality] { ranking.record(events) }
    }

    /// Forgets the fresh items and the engagement that `pipeline`, built from the store, has
    /// read; the popular, trending and quality rankings go on from its own.
    public func pipelineBuilt(_ pipeline: FeedPipeline) {
        let time = pipeline.builtAt
        freshWriters.withLock {
            let next = lock.withLock { fresh }.dropping(writtenBefore: time)
            lock.withLock { fresh = next }
        }
        popular.restart(at: time, built: pipeline.indexes.popular.ranking)
        trending.restart(at: time, built: pipeline.indexes.trending.ranking)
        quality.restart(at: time, built: pipeline.indexes.qualityRanking) { pipeline.item($0)?.location }
    }

    /// What one request checks against, taken under one lock: the user's exposure filter and
    /// the removed items (both copied on write, so taking them costs nothing).
    public func view(for user: String) -> (exposures: ExposureFilter?, removed: Set<String>) {
        lock.withLock { (exposures[user]?.filter, removed) }
    }

    /// Keeps a hidden or deleted item out of every feed from now on.
    public func remove(_ item: String) { _ = lock.withLock { removed.insert(item) } }

}
