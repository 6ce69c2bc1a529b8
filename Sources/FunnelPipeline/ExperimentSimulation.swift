import Foundation
import FunnelData
import FunnelExperiments
import FunnelRetrieval
import FunnelStore

/// An experiment run in the simulated world, where its true effect can be known: the served
/// days are simulated three times from the same state, once as the experiment (each user served
/// their arm, the arms logged with the exposures) and twice as the truth (every user served
/// control, then every user served the treatment arm). The experiment's report, made from its
/// own log as `funnel experiment report` makes it, can then be checked against the difference
/// between the two whole populations.
public struct ExperimentSimulation {
    public struct Outcome: Sendable {
        /// From the experiment's log (with the logged days as pre-period).
        public var report: ExperimentReport
        /// Every user in control against every user in the treatment arm (point estimates).
        public var truth: ExperimentReport
        /// The experiment's served events, exposures labelled with the arms.
        public var events: [Event]
    }

    /// Runs `experiment` (its start and days replaced by the served days that follow the
    /// simulation's logged ones) against `arm`, on pipelines built from `store` (which holds the
    /// logged days) under `configuration`. Nothing is written to `store`.
    public static func run(_ simulation: FeedSimulation, store: any Store, configuration: PipelineConfiguration, plan: ExperimentPlan,
                           overrides: [String: [String: PipelineOverrides]], experiment name: String, arm: String,
                           days: Int) async throws -> Outcome {
        guard var experiment = plan.experiment(named: name) else { throw PlanError("the plan has no experiment '\(name)'") }
        guard arm != ExperimentPlan.Experiment.control, experiment.arms.contains(where: { $0.name == arm }) else {
            throw PlanError("experiment '\(name)' has no treatment arm '\(arm)'")
        }
        let world = simulation.world.configuration
        let firstDay = world.days
        experiment.start = world.start.addingTimeInterval(Double(firstDay) * 86_400)
        experiment.days = days
        var experiments = plan.experiments
        experiments[experiments.firstIndex { $0.name == name }!] = experiment
        let served = try ExperimentPlan(holdout: plan.holdout, experiments: experiments)
        let logged = try await PipelineLoader.events(store)

        // Each run on its own pipeline: its LastN index (and long history) takes in the run's sessions.
        func build() async throws -> FeedPipeline { try await PipelineLoader.build(store, configuration: configuration) }
        let arms = try ExperimentArms(plan: served, overrides: overrides, base: try await build())
        let control = try await build().applying(overrides[name]?[ExperimentPlan.Experiment.control] ?? PipelineOverrides())
        let treatment = try await build().applying(overrides[name]?[arm] ?? PipelineOverrides())

        // Per run: each user's pipeline and label, the indexes every pipeline of the run
        // shares (an arm's pipeline is its base with other settings), and a suffix for user ids.
        let runs: [(pipeline: (String) -> (FeedPipeline, String?), indexes: RetrievalIndexes, relabel: String?)] = [
            ({ user in let (p, a) = arms.pipeline(for: user); return (p, a.label.isEmpty ? nil : a.label) }, arms.base.indexes, nil),
            ({ _ in (control, "\(name)=\(ExperimentPlan.Experiment.control)") }, control.indexes, nil),
            ({ _ in (treatment, "\(name)=\(arm)") }, treatment.indexes, "#"),
        ]
        var outcomes: [[Event]] = []
        for run in runs {
            let sim = simulation.copy()
            let state = LiveState(for: configuration)
            var events: [Event] = []
            for day in firstDay..<(firstDay + days) {
                var labels: [String: String?] = [:]
                events += await sim.serveDay(day, feed: { user, time, n in
                    let (pipeline, label) = run.pipeline(user)
                    labels[user] = label
                    return await pipeline.feed(FeedRequest(user: user, n: n, now: time), state: state).items.map(\.item)
                }, record: { session in
                    run.indexes.record(session)
                    state.write(session)
                }).map { e in
                    var e = e
                    if e.type == .exposure { e.context.experiments = labels[e.userID] ?? nil }
                    if let suffix = run.relabel { e.userID += suffix }
                    return e
                }
            }
            outcomes.append(events)
        }
        let end = experiment.end!
        let report = try ExperimentReport(experiment, events: logged + outcomes[0], now: end)
        var pair = experiment
        pair.arms = experiment.arms.filter { $0.name == ExperimentPlan.Experiment.control || $0.name == arm }
        (pair.launched, pair.reverse) = (nil, 0)
        let truth = try ExperimentReport(pair, events: outcomes[1] + outcomes[2], now: end)
        return Outcome(report: report, truth: truth, events: outcomes[0])
    }
}
