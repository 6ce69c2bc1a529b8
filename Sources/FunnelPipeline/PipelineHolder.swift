import Foundation

/// The pipeline version in service. Requests take the current one at their start and finish
/// on it; `swap` puts a new one in for the requests that start after, so a reload never fails
/// or stalls a request.
public final class PipelineHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var pipeline: FeedPipeline?
    public let state: LiveState

    public init(_ pipeline: FeedPipeline? = nil, state: LiveState = LiveState()) {
        self.pipeline = pipeline
        self.state = state
    }

    public var current: FeedPipeline? { lock.withLock { pipeline } }

    public func swap(_ next: FeedPipeline) {
        lock.withLock { pipeline = next }
        state.pipelineBuilt(at: next.builtAt)
    }
}
