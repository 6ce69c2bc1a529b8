import Foundation
import FunnelData
import FunnelStore
import Logging
import ServiceLifecycle

/// Writes the exposures feeds log into the event store in batches, off the request path: a
/// feed returns without waiting for the disk, and a thousand feeds a second become a few
/// writes. What is pending when the process dies is lost; exposures are a log of what was
/// served, not acknowledged writes.
final class EventLogWriter: Service, @unchecked Sendable {
    private let store: any Store
    private let logger: Logger
    private let lock = NSLock()
    private var pending: [Event] = []
    private let flushEvery: Duration
    private let metrics: ServerMetrics

    init(store: any Store, logger: Logger, metrics: ServerMetrics, flushEvery: Duration = .milliseconds(200)) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.flushEvery = flushEvery
    }

    func log(_ events: [Event]) {
        guard !events.isEmpty else { return }
        lock.withLock { pending += events }
    }

    /// Flushes every `flushEvery` until the server shuts down, then once more.
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.flushEvery)
                await self.flush()
            }
        }
        await flush()
    }

    func flush() async {
        let batch = lock.withLock {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        for start in stride(from: 0, to: batch.count, by: 10_000) {
            let part = batch[start..<min(batch.count, start + 10_000)]
            do {
                try await store.appendEvents(Array(part))
                metrics.exposuresLogged.increment(by: Int64(part.count))
            } catch {
                metrics.exposuresDropped.increment(by: Int64(part.count))
                logger.error("exposure log: \(part.count) events not written: \(error)")
            }
        }
    }
}
