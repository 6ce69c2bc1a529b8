import FunnelExperiments
import Synchronization

/// The experiments a pipeline serves: the plan, each arm's settings, and the pipeline each
/// combination of arms gets (the built pipeline with the arms' settings over it, made on first
/// use and kept until the next build). Experiments in different layers set different keys, so
/// a user's arms combine in any order.
public final class ExperimentArms: Sendable {
    public let plan: ExperimentPlan
    /// By experiment, by arm: the `[pipeline]` settings the arm changes (control: none).
    public let overrides: [String: [String: PipelineOverrides]]
    /// The built pipeline every arm's is made from (they share its indexes).
    public let base: FeedPipeline
    private let variants = Mutex<[String: FeedPipeline]>([:])

    /// Makes every arm's pipeline once, so that a setting this pipeline cannot serve fails here,
    /// naming the experiment and arm, rather than at a user's feed.
    public init(plan: ExperimentPlan, overrides: [String: [String: PipelineOverrides]], base: FeedPipeline) throws {
        (self.plan, self.overrides, self.base) = (plan, overrides, base)
        for experiment in plan.experiments {
            for arm in experiment.arms {
                do { _ = try base.applying(overrides[experiment.name]?[arm.name] ?? PipelineOverrides()) } catch {
                    throw PipelineError("experiment '\(experiment.name)', arm '\(arm.name)': \(error)")
                }
            }
        }
    }

    /// The pipeline `user` is served by, and their assignment (logged with their exposures).
    public func pipeline(for user: String) -> (pipeline: FeedPipeline, assignment: Assignment) {
        let assignment = plan.assignment(of: user)
        let changes = assignment.arms.sorted { $0.key < $1.key }.compactMap { overrides[$0.key]?[$0.value] }.filter { !$0.isEmpty }
        guard !changes.isEmpty else { return (base, assignment) }
        let label = assignment.label
        if let variant = variants.withLock({ $0[label] }) { return (variant, assignment) }
        // Each arm was applied alone at init, and the layers' keys do not overlap, so this holds.
        let variant = changes.reduce(base) { pipeline, change in (try? pipeline.applying(change)) ?? pipeline }
        variants.withLock { $0[label] = variant }
        return (variant, assignment)
    }
}
