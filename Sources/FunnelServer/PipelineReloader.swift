import Foundation
import FunnelExperiments
import FunnelPipeline
import FunnelStore
import Logging
import ServiceLifecycle
import Synchronization

/// Builds pipelines from the store and swaps them in, one build at a time: at start, on
/// `POST /v1/admin/reload`, and on its own when the configuration file changes, a newer model
/// (ranker or two-tower) is saved in the store, or the pipeline is older than `rebuildEverySeconds` (so that new items
/// and events reach the channels). Requests keep running on the previous pipeline until the swap,
/// and a build that fails leaves it serving.
final class PipelineReloader: Service, Sendable {
    let holder: PipelineHolder
    let store: any Store
    let configuration: PipelineConfiguration
    /// The experiments served without a configuration file (with one, its `[experiments]`).
    let experiments: ExperimentsTable?
    let configurationFile: URL?
    let server: ServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger
    /// The last build, which the next one waits for.
    private let last = Mutex<Task<FeedPipeline, any Error>?>(nil)
    /// The configuration file's bytes when last read, to notice a change.
    private let seenFile = Mutex<Data?>(nil)

    /// The configuration file could not be read or was refused; nothing was built.
    struct ConfigurationRefused: Error, CustomStringConvertible {
        var description: String
    }

    init(holder: PipelineHolder, store: any Store, configuration: PipelineConfiguration, experiments: ExperimentsTable?, configurationFile: URL?,
         server: ServerConfiguration, metrics: ServerMetrics, logger: Logger) {
        self.holder = holder
        self.store = store
        self.configuration = configuration
        self.experiments = experiments
        self.configurationFile = configurationFile
        self.server = server
        self.metrics = metrics
        self.logger = logger
        seenFile.withLock { $0 = configurationFile.flatMap { try? Data(contentsOf: $0) } }
    }

    /// Builds a pipeline (reading the configuration file again, if there is one) after any build
    /// under way, and swaps it in.
    @discardableResult
    func reload(because reason: String) async throws -> FeedPipeline {
        let task = last.withLock { last in
            let previous = last
            let task = Task(executorPreference: BackgroundExecutor.shared) { [self] in
                _ = await previous?.result
                return try await build(because: reason)
            }
            last = task
            return task
        }
        return try await task.value
    }

    private func build(because reason: String) async throws -> FeedPipeline {
        let started = Date()
        var configuration = configuration, experiments = self.experiments
        if let configurationFile {
            let bytes = try? Data(contentsOf: configurationFile)
            seenFile.withLock { $0 = bytes }
            do {
                let file = try ConfigurationFile.load(configurationFile)
                (configuration, experiments) = (file.pipeline ?? PipelineConfiguration(), file.experiments)
            } catch {
                metrics.failedReloads.increment()
                throw ConfigurationRefused(description: "\(error)")
            }
        }
        let next: FeedPipeline, arms: ExperimentArms?, lastServedPlan: ExperimentPlan?
        do {
            let (plan, overrides) = try experiments?.plan(over: configuration) ?? (.none, [:])
            // Against the plan serving here, or the one last served from this store (a restart,
            // another server).
            lastServedPlan = try await ServedPlan.load(from: store)
            if let serving = holder.experiments?.plan ?? lastServedPlan, let move = plan.moves(from: serving).first {
                throw PipelineError("\(move); the experiments serving keep their users")
            }
            next = try await PipelineLoader.build(store, configuration: configuration)
            arms = plan.experiments.isEmpty ? nil : try ExperimentArms(plan: plan, overrides: overrides, base: next)
        } catch let error as PipelineError {
            metrics.failedReloads.increment()
            throw ConfigurationRefused(description: "\(error)")
        } catch {
            metrics.failedReloads.increment()
            throw error
        }
        holder.swap(next, experiments: arms)
        do { try await ServedPlan.save(arms?.plan ?? .none, to: store, last: lastServedPlan) } catch {
            logger.error("the experiment plan served could not be saved in the store: \(error); a restart will not check against it")
        }
        metrics.reloads.increment()
        metrics.serving(next)
        logger.info("pipeline \(next.version) serving \(next.itemCount) items with \(next.rankerName) and \(next.reranker.name) (\(reason)), built in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        if let notice = next.rankerNotice { logger.warning("ranker: \(notice)") }
        return next
    }

    /// What calls for a new pipeline now, if anything.
    func change() async -> String? {
        guard let current = holder.current else { return nil }
        if let configurationFile {
            let bytes = try? Data(contentsOf: configurationFile)
            if seenFile.withLock({ $0 != bytes }) { return "configuration file changed" }
        }
        for (artifact, serving) in [(current.configuration.ranker, current.rankerVersion), (PipelineLoader.twoTowerArtifact, current.twoTowerVersion)] {
            if let versions = try? await store.artifactVersions(name: artifact), let newest = versions.last, newest != serving {
                return "\(artifact) \(newest) saved"
            }
        }
        if server.rebuildEverySeconds > 0, Date().timeIntervalSince(current.builtAt) >= server.rebuildEverySeconds {
            return "scheduled rebuild"
        }
        return nil
    }

    /// Builds the first pipeline (when configured to), then looks for changes every
    /// `reloadCheckSeconds` until the server shuts down.
    func run() async {
        if server.buildAtStart, holder.current == nil {
            do { try await reload(because: "start") } catch {
                logger.error("pipeline not built: \(error); feeds answer 503 until a reload succeeds")
            }
        }
        guard server.reloadCheckSeconds > 0 else { return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(self.server.reloadCheckSeconds))
                guard !Task.isCancelled, let reason = await self.change() else { continue }
                do { try await self.reload(because: reason) } catch {
                    self.logger.error("reload (\(reason)) failed, the previous pipeline serves on: \(error)")
                }
            }
        }
    }
}
