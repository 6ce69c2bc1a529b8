import Foundation
import FunnelIndex
import FunnelPipeline
import FunnelStore
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the users' exposure filters in the user-state store, so that a restarted server, or
/// another server on the same PostgreSQL store, never shows a user what the window says they
/// have seen.
///
/// Writes go off the request path: every `saveEvery`, what feeds showed since the last save is
/// merged into the stored filters in one transaction (a union, so two servers adding to one
/// user lose nothing). A user's stored filter is read on their first feed in this process and
/// again once the copy is older than `refreshAfter`, to take in what other servers showed. What
/// was shown in the last `saveEvery` before a crash is lost; a graceful stop saves it.
final class ExposureFilterSync: Service, Sendable {
    private let store: any Store
    private let state: LiveState
    private let saveEvery: Duration
    private let refreshAfter: Duration
    private let metrics: ServerMetrics
    private let logger: Logger
    /// Filters a failed save could not write; the next save merges them in again.
    private let retry = Mutex<[String: ExposureFilter]>([:])

    init(store: any Store, state: LiveState, saveEvery: Duration, refreshAfter: Duration, metrics: ServerMetrics, logger: Logger) {
        (self.store, self.state, self.saveEvery, self.refreshAfter) = (store, state, saveEvery, refreshAfter)
        (self.metrics, self.logger) = (metrics, logger)
    }

    /// Before a feed: takes in the user's stored filter when this process has not read it
    /// within `refreshAfter`. A store that fails or a blob that does not decode costs the user
    /// nothing but what it held: the feed goes on with the filter in memory.
    func prepare(_ user: String) async {
        let now = ContinuousClock.now
        if let last = state.lastSynced(user), now - last < refreshAfter { return }
        var stored: ExposureFilter?
        do {
            stored = try await store.userState(kind: LiveState.storedKind, user: user).flatMap { decode($0, user: user) }
            metrics.exposureFiltersRead.increment()
        } catch {
            metrics.exposureFilterErrors.increment()
            logger.warning("exposure filter of user \(user) not read, the feed uses the one in memory: \(error)")
        }
        state.takeIn(stored: stored, for: user, at: now)
    }

    /// Saves every `saveEvery` until the server stops, then once more.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.saveEvery)
                await self.save()
            }
        }
        await save()
    }

    /// Merges the exposures shown since the last save into the stored filters and takes the
    /// merged filters back in (with what other servers added for the same users).
    func save() async {
        var updates = state.takeUnsaved()
        Self.add(retry.withLock { failed in defer { failed = [:] }; return failed }, to: &updates)
        guard !updates.isEmpty else { return }
        let started = ContinuousClock.now, now = Date()
        let merged = Mutex<[String: ExposureFilter]>([:])
        let logger = self.logger, metrics = self.metrics
        do {
            try await store.mergeUserStates(kind: LiveState.storedKind, users: Array(updates.keys)) { [updates] user, stored in
                var filter = updates[user]!
                if let stored {
                    do { filter.formUnion(try ExposureFilter(serialized: stored)) } catch {
                        metrics.exposureFilterErrors.increment()
                        logger.error("the stored exposure filter of user \(user) does not decode; replaced by the new exposures alone: \(error)")
                    }
                }
                filter.expire(now: now)
                merged.withLock { $0[user] = filter }
                return filter.serialized
            }
            for (user, filter) in merged.withLock({ $0 }) { state.takeIn(stored: filter, for: user, at: started) }
            metrics.exposureFiltersSaved.increment(by: Int64(updates.count))
        } catch {
            retry.withLock { failed in Self.add(updates, to: &failed) }
            metrics.exposureFilterErrors.increment()
            logger.error("exposure filters of \(updates.count) users not saved, retried at the next save: \(error)")
        }
    }

    private static func add(_ filters: [String: ExposureFilter], to target: inout [String: ExposureFilter]) {
        for (user, filter) in filters {
            if target[user] == nil { target[user] = filter } else { target[user]!.formUnion(filter) }
        }
    }

    private func decode(_ data: Data, user: String) -> ExposureFilter? {
        do { return try ExposureFilter(serialized: data) } catch {
            metrics.exposureFilterErrors.increment()
            logger.error("the stored exposure filter of user \(user) does not decode and is dropped; they start a fresh one: \(error)")
            return nil
        }
    }
}
