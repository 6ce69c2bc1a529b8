import Foundation
import FunnelData
import FunnelExperiments

/// The pipeline version in service. Requests take the current one at their start and finish
/// on it; `swap` puts a new one in for the requests that start after, so a reload never fails
/// or stalls a request.
///
/// Events written while a new version is built reach the version serving, not the one being
/// built (which read the log, up to its build time, before they came): the holder keeps the
/// events written since the serving version's build and replays the later ones into the new
/// version's LastN index as it swaps it in.
public final class PipelineHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var pipeline: FeedPipeline?
    private var arms: ExperimentArms?
    /// The latest events written since the serving version was built, at most `eventCapacity`
    /// (a build takes seconds; what came before it started is in what it read).
    private var written: [Event] = []
    public let state: LiveState
    static let eventCapacity = 200_000

    public init(_ pipeline: FeedPipeline? = nil, state: LiveState = LiveState()) {
        self.pipeline = pipeline
        self.state = state
    }

    public var current: FeedPipeline? { lock.withLock { pipeline } }

    /// Records written events in the serving version's LastN index (and long history) and in the live state.
    public func record(_ events: [Event]) {
        lock.withLock {
            pipeline?.indexes.record(events)
            written += events
            if written.count > Self.eventCapacity { written.removeFirst(written.count - Self.eventCapacity) }
        }
        state.write(events)
    }

    /// The experiments served with the current pipeline, if any are configured.
    public var experiments: ExperimentArms? { lock.withLock { arms } }

    /// The pipeline that serves `user` (an experiment arm's, if they are in one), and their
    /// assignment.
    public func serving(_ user: String) -> (pipeline: FeedPipeline, assignment: Assignment)? {
        let served: (pipeline: FeedPipeline?, arms: ExperimentArms?) = lock.withLock { (pipeline, arms) }
        guard let pipeline = served.pipeline else { return nil }
        if let arms = served.arms { return arms.pipeline(for: user) }
        return (pipeline, Assignment())
    }

    public func swap(_ next: FeedPipeline, experiments: ExperimentArms? = nil) {
        lock.withLock {
            let missed = written.filter { $0.timestamp > next.builtAt }
            next.indexes.record(missed)
            written = missed
            pipeline = next
            arms = experiments
        }
        state.pipelineBuilt(next)
    }
}
