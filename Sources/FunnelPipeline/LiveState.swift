import Foundation
import FunnelIndex

/// What changes between rebuilds of the pipeline and must survive them: each user's exposure
/// filter (what they were shown lately) and the items hidden or deleted since the catalogue was
/// read. Shared by every pipeline version the server swaps in.
public final class LiveState: @unchecked Sendable {
    private let lock = NSLock()
    private var exposures: [String: ExposureFilter] = [:]
    private var removed: Set<String> = []
    private let filterConfiguration: ExposureFilter.Configuration

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

    public func recordExposures(_ items: [String], to user: String, at time: Date) {
        lock.withLock {
            var filter = exposures[user] ?? ExposureFilter(filterConfiguration)
            for item in items { filter.insert(item, at: time) }
            exposures[user] = filter
        }
    }

    public func isRemoved(_ item: String) -> Bool { lock.withLock { removed.contains(item) } }

    /// What one request checks against, taken under one lock: the user's exposure filter and
    /// the removed items (both copied on write, so taking them costs nothing).
    public func view(for user: String) -> (exposures: ExposureFilter?, removed: Set<String>) {
        lock.withLock { (exposures[user], removed) }
    }

    /// Keeps a hidden or deleted item out of every feed from now on.
    public func remove(_ item: String) { _ = lock.withLock { removed.insert(item) } }

    /// Lets an item back in (it was upserted visible again).
    public func restore(_ item: String) { _ = lock.withLock { removed.remove(item) } }
}
