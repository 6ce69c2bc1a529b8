import Foundation
import FunnelExperiments
import FunnelStore

/// The experiment plan a server last served, kept in the store (artifact `experiment-plan`), so
/// that a restart, or another server over the same store, knows which users a running experiment
/// holds and refuses a plan that would move them, as a reload does.
enum ServedPlan {
    static let artifact = "experiment-plan"

    static let (encoder, decoder) = {
        let (encoder, decoder) = (JSONEncoder(), JSONDecoder())
        (encoder.dateEncodingStrategy, decoder.dateDecodingStrategy) = (.iso8601, .iso8601)
        encoder.outputFormatting = .sortedKeys
        return (encoder, decoder)
    }()

    struct Saved: Codable {
        var holdout: Double
        var experiments: [ExperimentPlan.Experiment]
    }

    /// The plan last saved, if any (an unreadable one is treated as none: it only guards).
    static func load(from store: any Store) async throws -> ExperimentPlan? {
        guard let stored = try await store.artifact(name: artifact, version: nil),
              let saved = try? decoder.decode(Saved.self, from: stored.blob) else { return nil }
        return try? ExperimentPlan(holdout: saved.holdout, experiments: saved.experiments)
    }

    /// Saves `plan` when it differs from the last one saved (none saved: no experiments).
    static func save(_ plan: ExperimentPlan, to store: any Store, last: ExperimentPlan?) async throws {
        guard plan != (last ?? .none) else { return }
        let blob = try encoder.encode(Saved(holdout: plan.holdout, experiments: plan.experiments))
        let version = ISO8601DateFormatter().string(from: Date()) + "-" + UUID().uuidString.prefix(8)
        try await store.saveArtifact(StoredArtifact(name: artifact, version: version, manifest: Data("{}".utf8), blob: blob))
    }
}
