import Foundation
import FunnelData
import FunnelRetrieval
import FunnelStages
import FunnelStore
import FunnelTensor

/// Reads what a pipeline is built from out of a store: the whole catalogue and event log, in
/// pages, and the latest trained models. A trained ranker is stored as an artifact named after
/// its model (`logistic-regression`, …), in the `SavedModel` format.
public enum PipelineLoader {
    public static let twoTowerArtifact = "two-tower"

    public static func catalogue(_ store: any Store, pageSize: Int = 10_000) async throws -> [Item] {
        try await everything(id: \.id) { try await store.itemPage(after: $0, limit: pageSize) }
    }

    public static func users(_ store: any Store, pageSize: Int = 10_000) async throws -> [User] {
        try await everything(id: \.id) { try await store.userPage(after: $0, limit: pageSize) }
    }

    /// Every record, page after page, each page after the last one's id.
    private static func everything<T>(id: (T) -> String, page: (String?) async throws -> [T]) async throws -> [T] {
        var all: [T] = [], cursor: String?
        while true {
            let next = try await page(cursor)
            guard let last = next.last else { return all }
            all += next
            cursor = id(last)
        }
    }

    public static func events(_ store: any Store, pageSize: Int = 50_000) async throws -> [Event] {
        var events: [Event] = [], cursor: Int64 = 0
        while true {
            let page = try await store.eventPage(after: cursor, limit: pageSize)
            if page.events.isEmpty { return events }
            events += page.events
            cursor = page.cursor
        }
    }

    /// The most recently saved ranker of the kind `name` (by default the configured ranker),
    /// with its version; nil when none is saved or the kind needs no training.
    public static func latestRanker(_ store: any Store, configuration: PipelineConfiguration, named name: String? = nil,
                                    registry: StageRegistry = .standard) async throws -> (ranker: any Ranker, version: String)? {
        let kind = try registry.ranker(named: name ?? configuration.ranker)
        guard let load = kind.load, let artifact = try await store.artifact(name: kind.name, version: nil) else { return nil }
        do {
            return (try load(SavedModel(manifest: artifact.manifest, weights: artifact.blob)), artifact.version)
        } catch {
            throw PipelineError("the stored \(kind.name) ranker, version \(artifact.version), cannot be loaded: \(error)")
        }
    }

    /// Saves a trained ranker (and its pre-ranker) as a new version (a timestamp) under its model's name.
    @discardableResult
    public static func save(_ outcome: RankerTraining.Outcome, to store: any Store, now: Date = Date()) async throws -> String {
        let version = String(format: "%.3f", now.timeIntervalSince1970)
        for trained in [outcome.preRanker, outcome.trained].compactMap({ $0 }) {
            let saved = try trained.save(version)
            try await store.saveArtifact(StoredArtifact(name: trained.name, version: version, createdAt: now,
                                                        manifest: saved.manifest, blob: saved.weights))
        }
        return version
    }

    /// What a saved two-tower model's manifest holds besides its weights.
    struct TwoTowerManifest: Codable {
        var configuration: TwoTower.Configuration
        var features: TwoTowerFeatures
        var report: TwoTowerFeedTraining.Report
    }

    /// Saves a trained two-tower model as a new version: its weights as safetensors, its
    /// configuration, vocabularies and report as the manifest.
    @discardableResult
    public static func save(_ outcome: TwoTowerFeedTraining.Outcome, to store: any Store, now: Date = Date()) async throws -> String {
        let version = String(format: "%.3f", now.timeIntervalSince1970)
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in outcome.model.namedParameters { tensors[name] = parameter.value }
        let manifest = TwoTowerManifest(configuration: outcome.model.configuration, features: outcome.features, report: outcome.report)
        try await store.saveArtifact(StoredArtifact(name: twoTowerArtifact, version: version, createdAt: now,
                                                    manifest: try JSONEncoder().encode(manifest),
                                                    blob: try SafeTensors.encode(tensors, metadata: ["model": twoTowerArtifact, "version": version])))
        return version
    }

    /// The most recently saved two-tower model with its vocabularies and version, if any.
    public static func latestTwoTower(_ store: any Store) async throws -> (model: TwoTower, features: TwoTowerFeatures, version: String)? {
        guard let artifact = try await store.artifact(name: twoTowerArtifact, version: nil) else { return nil }
        let manifest = try JSONDecoder().decode(TwoTowerManifest.self, from: artifact.manifest)
        let model = TwoTower(manifest.configuration)
        try ModelArtifact.loadWeights(into: model, tensors: SafeTensors.decode(artifact.blob).tensors)
        return (model, manifest.features, artifact.version)
    }

    /// A pipeline over everything in the store now (or over `data` already read from it), with
    /// the store's latest models.
    public static func build(_ store: any Store, configuration: PipelineConfiguration, now: Date = Date(),
                             data: StoreSnapshot? = nil, registry: StageRegistry = .standard) async throws -> FeedPipeline {
        let data = if let data { data } else { try await StoreSnapshot.read(store) }
        let ranker = try await latestRanker(store, configuration: configuration, registry: registry)
        var preRanker: (ranker: any Ranker, version: String)?
        if let name = configuration.preRanker { preRanker = try await latestRanker(store, configuration: configuration, named: name, registry: registry) }
        let twoTower = try await latestTwoTower(store)
        return try FeedPipeline(version: "\(Int(now.timeIntervalSince1970))-\(ranker?.version ?? "untrained")", configuration: configuration,
                                items: data.items, users: data.users, events: data.events, now: now, ranker: ranker?.ranker, rankerVersion: ranker?.version,
                                preRanker: preRanker?.ranker,
                                twoTower: twoTower.map { ($0.model, $0.features) }, twoTowerVersion: twoTower?.version, registry: registry)
    }
}
