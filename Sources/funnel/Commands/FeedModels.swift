import Foundation
import FunnelData
import FunnelPipeline
import FunnelRetrieval
import FunnelStore

/// Training the feed's models from a store, for `funnel train` and the quickstart: the
/// two-tower model (served as a channel), then the ranker over every channel including it.
enum FeedModels {
    static func read(_ store: any Store) async throws -> StoreSnapshot {
        let start = Date()
        let data = try await StoreSnapshot.read(store)
        print("read \(data.items.count) items, \(data.users.count) users and \(data.events.count) events in "
              + String(format: "%.1f s", Date().timeIntervalSince(start)))
        return data
    }

    /// Both models, each saved as a new version.
    static func trainAll(store: any Store, data: StoreSnapshot, configuration: PipelineConfiguration) async throws {
        let twoTower = try await trainTwoTower(store: store, data: data, configuration: configuration)
        try await trainRanker(store: store, data: data, configuration: configuration, twoTower: (twoTower.model, twoTower.features))
    }

    /// The two-tower model, on the events before the ranker's examples (all events when no
    /// exposures are logged yet), so that the ranker can learn its channel's ranks honestly.
    @discardableResult
    static func trainTwoTower(store: any Store, data: StoreSnapshot, configuration: PipelineConfiguration) async throws
        -> TwoTowerFeedTraining.Outcome {
        let start = Date()
        let cutoff = (try? RankerTraining.examples(data.events, configuration: configuration))?.first?.timestamp
        let progress = Progress(label: "two-tower")
        let outcome = try TwoTowerFeedTraining.train(items: data.items, events: data.events, before: cutoff,
                                                          objective: configuration.twoTower) { progress.handle($0, metric: "val Recall@50") }
        let version = try await PipelineLoader.save(outcome, to: store)
        let r = outcome.report
        print(String(format: "two-tower: %d examples, %d epochs; validation Recall@50 %.4f (popularity %.4f); saved as version %@ in %.1f s",
                     r.examples, r.epochs, r.validationRecall50, r.popularityRecall50, version, Date().timeIntervalSince(start)))
        return outcome
    }

    /// The ranker, with `twoTower` (by default the store's latest) among its channels.
    @discardableResult
    static func trainRanker(store: any Store, data: StoreSnapshot, configuration: PipelineConfiguration,
                            twoTower: (model: TwoTower, features: TwoTowerFeatures)? = nil) async throws -> RankerTraining.Outcome {
        let start = Date()
        let stored = twoTower == nil ? try await PipelineLoader.latestTwoTower(store) : nil
        let outcome = try await RankerTraining.train(items: data.items, users: data.users, events: data.events,
                                                     configuration: configuration,
                                                     twoTower: twoTower ?? stored.map { ($0.model, $0.features) })
        let version = try await PipelineLoader.save(outcome, to: store)
        let r = outcome.report
        let objectives = r.metrics.keys.filter { $0.hasSuffix(".auc") }.sorted().map { key in
            let name = String(key.dropLast(4))
            return String(format: "%@ AUC %.4f%@", name, r.metrics[key]!, r.metrics["\(name).gauc"].map { String(format: " (GAUC %.4f)", $0) } ?? "")
        }
        if objectives.count > 1 { print("ranker \(outcome.trained.name), validation: " + objectives.joined(separator: "; ")) }
        print(String(format: "ranker %@: %d exposures (%d clicked), %d epochs; validation AUC %.4f (untrained order %.4f), log loss %.4f; saved as version %@ in %.1f s",
                     outcome.trained.name, outcome.examples, outcome.positives, r.epochs, r.metrics["click.auc"] ?? .nan, outcome.fusionAUC,
                     r.metrics["click.logloss"] ?? .nan, version, Date().timeIntervalSince(start)))
        if let skipped = outcome.skipped["history.skipped"], skipped > 0 {
            print("behaviour sequences: skipped \(skipped) items outside the item space (written after the examples' cutoff)")
        }
        if let pre = outcome.preRanker {
            print(String(format: "pre-ranker %@: %d epochs; validation click AUC %.4f; keeps the best %d candidates of each feed",
                         pre.name, pre.report.epochs, pre.report.metrics["click.auc"] ?? .nan, configuration.preRankDepth))
        }
        return outcome
    }
}
