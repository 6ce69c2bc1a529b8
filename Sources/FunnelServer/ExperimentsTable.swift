import Foundation
import FunnelExperiments
import FunnelPipeline

/// The `[experiments]` table of `funnel.toml`: the long-term holdout's share and one sub-table
/// per experiment, by name, each arm with its share and the `[pipeline]` settings it changes.
///
/// ```toml
/// [experiments]
/// holdout = 0.05                 # of all users: no experiment, no launch
///
/// [experiments.rerank-dpp]
/// layer = "rerank"               # experiments in one layer exclude each other
/// traffic = 0.2                  # of the layer's users
/// start = "2026-12-01"           # the report's pre-period ends here
/// days = 14                      # the planned duration (the report warns before it ends)
/// [experiments.rerank-dpp.arms.control]
/// [experiments.rerank-dpp.arms.dpp]
/// share = 1.0                    # relative to the other arms' (the default)
/// [experiments.rerank-dpp.arms.dpp.pipeline]
/// reranker = "dpp"
/// dppTheta = 0.6
/// ```
///
/// `launched = "dpp"` with `reverse = 0.05` pushes an arm to the whole layer but a reverse
/// share kept on control; `offset` places an experiment's range of buckets explicitly.
public struct ExperimentsTable: Decodable, Sendable {
    public var holdout: Double?
    public var experiments: [String: Entry] = [:]

    public struct Entry: Decodable, Sendable {
        public var layer: String?
        public var traffic: Double?
        public var offset: Double?
        public var launched: String?
        public var reverse: Double?
        public var start: String?
        public var days: Int?
        public var arms: [String: Arm]?
    }

    public struct Arm: Decodable, Sendable {
        public var share: Double?
        public var pipeline: PipelineOverrides?

        var settings: PipelineOverrides { pipeline ?? PipelineOverrides() }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for key in c.allKeys {
            if key.stringValue == "holdout" { holdout = try c.decode(Double.self, forKey: key) } else {
                experiments[key.stringValue] = try c.decode(Entry.self, forKey: key)
            }
        }
    }

    /// The plan and each arm's settings, checked: every arm's `[pipeline]` (`base` with the
    /// arm's settings over it) must be valid, and experiments in different layers may not set
    /// the same key (their arms combine on the same users).
    public func plan(over base: PipelineConfiguration) throws -> (plan: ExperimentPlan, overrides: [String: [String: PipelineOverrides]]) {
        var experiments: [ExperimentPlan.Experiment] = [], overrides: [String: [String: PipelineOverrides]] = [:]
        var keysByLayer: [String: [String: String]] = [:]   // layer → key → experiment setting it
        for (name, entry) in self.experiments.sorted(by: { $0.key < $1.key }) {
            let at = "experiments.\(name)"
            guard let arms = entry.arms, arms[ExperimentPlan.Experiment.control] != nil else {
                throw PipelineError("\(at) needs an arm named control ([\(at).arms.control], which may be empty)")
            }
            let names = [ExperimentPlan.Experiment.control] + arms.keys.filter { $0 != ExperimentPlan.Experiment.control }.sorted()
            for arm in names {
                let settings = arms[arm]!.settings
                do { try settings.applied(to: base).validate() } catch { throw PipelineError("\(at).arms.\(arm): \(error)") }
                overrides[name, default: [:]][arm] = settings
            }
            let layer = entry.layer ?? "default"
            for key in Set(names.flatMap { arms[$0]!.settings.setKeys }) {
                for (otherLayer, keys) in keysByLayer where otherLayer != layer {
                    if let other = keys[key] {
                        throw PipelineError("\(at) (layer '\(layer)') and experiments.\(other) (layer '\(otherLayer)') both set \(key); experiments in different layers run on the same users, so they must set different keys")
                    }
                }
                keysByLayer[layer, default: [:]][key] = name
            }
            var start: Date?
            if let text = entry.start {
                guard let date = Self.date(text) else { throw PipelineError("\(at).start must be a date (2026-12-01) or a time (2026-12-01T09:00:00Z), got '\(text)'") }
                start = date
            }
            experiments.append(ExperimentPlan.Experiment(
                name: name, layer: layer, traffic: entry.traffic ?? 1, offset: entry.offset,
                arms: names.map { ExperimentPlan.Arm(name: $0, share: arms[$0]!.share ?? 1) },
                launched: entry.launched, reverse: entry.reverse ?? 0, start: start, days: entry.days))
        }
        do {
            return (try ExperimentPlan(holdout: holdout ?? 0, experiments: experiments), overrides)
        } catch { throw PipelineError("experiments: \(error)") }
    }

    static func date(_ text: String) -> Date? {
        if let time = try? Date(text, strategy: .iso8601) { return time }
        return try? Date(text + "T00:00:00Z", strategy: .iso8601)
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
