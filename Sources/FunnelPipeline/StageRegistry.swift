import FunnelRanking
import FunnelRerank
import FunnelStages
import FunnelTensor

/// The stages a feed can be composed of, by the names `funnel.toml` gives them: rankers
/// (`[pipeline] ranker`) and rerankers (`[pipeline] reranker`, and each surface's). The pipeline, the loader, the
/// reloader, `funnel train` and `funnel eval` find stages here and never by name in their own
/// code, so adding one is its file plus one `register` line in `standard`. A name not
/// registered is refused with the names that are.
public struct StageRegistry: Sendable {
    /// How to make a ranker of one kind: built as it is (it needs no training), or trained from
    /// logged exposures and loaded from its artifacts.
    public struct RankerKind: Sendable {
        public let name: String
        /// Makes the ranker over the pipeline's feature columns, for a kind that needs no training.
        public let untrained: (@Sendable (_ features: [String]) -> any Ranker)?
        public let load: (@Sendable (SavedModel) throws -> any Ranker)?
        /// Trains on the examples, with what `[pipeline.models.<name>]` sets, if anything.
        public let train: (@Sendable (RankingExamples, ModelSettings?) throws -> TrainedRanker)?
        /// Refuses settings this kind cannot take.
        public let check: @Sendable (ModelSettings) throws -> Void

        public var isTrainable: Bool { train != nil }
    }

    /// A ranker just trained, with how it went and how to save it.
    public struct TrainedRanker: Sendable {
        /// The registry name it was trained as, which its artifacts are stored under.
        public let name: String
        public let ranker: any Ranker
        public let report: TrainingReport
        public let window: TrainingWindow
        public let save: @Sendable (_ version: String) throws -> SavedModel
    }

    public private(set) var rankers: [String: RankerKind] = [:]
    public private(set) var rerankers: [String: @Sendable (RerankSettings) -> any Reranker] = [:]

    public init() {}

    /// Every stage that ships with Funnel.
    public static let standard: StageRegistry = {
        var registry = StageRegistry()
        registry.register(LogisticRanker.self)
        registry.register(MultiTaskRanker.self, as: MultiTaskRanker.Architecture.mmoe.rawValue)
        registry.register(MultiTaskRanker.self, as: MultiTaskRanker.Architecture.sharedBottom.rawValue,
                          configuration: MultiTaskRanker.Configuration(architecture: .sharedBottom))
        registry.register(ThreeTowerRanker.self)
        registry.registerRanker(ReciprocalRankFusion.name) { ReciprocalRankFusion(features: $0) }
        registry.registerReranker("mmr") { MMRReranker(lambda: $0.mmrLambda, window: $0.mmrWindow) }
        registry.registerReranker("dpp") { DPPReranker(theta: $0.dppTheta, window: $0.dppWindow == 0 ? nil : $0.dppWindow, similarityWeight: $0.dppSimilarityWeight) }
        registry.registerReranker(RelevanceOrder().name) { _ in RelevanceOrder() }
        return registry
    }()

    /// Registers a ranker trained from logged exposures, under `name` (its model's name by
    /// default) with `configuration` (its default by default).
    public mutating func register<R: TrainableRanker>(_ type: R.Type, as name: String = R.modelName,
                                                      configuration: R.Configuration = R.defaultConfiguration) {
        rankers[name] = RankerKind(name: name, untrained: nil, load: { try R(saved: $0) }, train: { examples, settings in
            let chosen = try settings.map { try R.configuration(configuration, applying: $0) } ?? configuration
            let (ranker, report) = try R.train(on: examples, configuration: chosen)
            return TrainedRanker(name: name, ranker: ranker, report: report, window: examples.window) { version in
                try ranker.saved(version: version, report: report, window: examples.window)
            }
        }, check: { _ = try R.configuration(configuration, applying: $0) })
    }

    /// Registers a ranker that needs no training, made over the pipeline's feature columns.
    public mutating func registerRanker(_ name: String, make: @escaping @Sendable ([String]) -> any Ranker) {
        rankers[name] = RankerKind(name: name, untrained: make, load: nil, train: nil, check: { settings in
            if settings != ModelSettings() { throw StageError("\(name) is not trained and takes no settings") }
        })
    }

    /// Registers a reranker, made from the settings of the surface it orders.
    public mutating func registerReranker(_ name: String, make: @escaping @Sendable (RerankSettings) -> any Reranker) {
        rerankers[name] = make
    }

    public func ranker(named name: String) throws -> RankerKind {
        guard let kind = rankers[name] else { throw Self.unknown("ranker", name, rankers.keys) }
        return kind
    }

    /// The reranker `settings` name, made from them.
    public func reranker(_ settings: RerankSettings) throws -> any Reranker {
        guard let make = rerankers[settings.reranker] else { throw Self.unknown("reranker", settings.reranker, rerankers.keys) }
        return make(settings)
    }

    static func unknown(_ stage: String, _ name: String, _ known: some Collection<String>) -> PipelineError {
        PipelineError("pipeline.\(stage): unknown \(stage) '\(name)'; the \(stage)s are \(known.sorted().joined(separator: ", "))")
    }
}
