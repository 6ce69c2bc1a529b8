import Foundation
import FunnelStages
import FunnelTensor

/// The three-tower pre-ranker: a cheap multi-task model that cuts the merged candidates (about
/// a thousand) to the few hundred the ranker scores. Its user tower runs once per request and
/// its item tower once per item (`TowerOutputCache`, kept until the item's features change),
/// so a candidate costs only the thin cross tower and the small network over the three
/// (`ThreeTowerNetwork`).
///
/// The feature columns go to the towers by their group (`side(of:)`); id columns are left out.
/// It learns every objective the ranker does, from the ranker's own predictions on the same
/// exposures (`RankingExamples.teacher`, distillation), from the logged outcomes, or from a
/// mix (`distillation`, the ranker's share), with the multi-task ranker's losses.
public struct ThreeTowerRanker: TrainableRanker {
    public enum Side: String, Codable, Sendable, CaseIterable {
        case user, item, cross
    }

    public struct Configuration: Codable, Sendable, Equatable {
        /// The objectives to learn, among those the examples label; by default all of them.
        public var objectives: [Objective]?
        /// The towers' hidden widths; the user and item towers' last widths must agree.
        public var userUnits = [64, 32]
        public var itemUnits = [64, 32]
        public var crossUnits = [16]
        /// The network over the towers' outputs, before one logit per objective.
        public var topUnits = [32]
        /// The share of each training target that is the teacher's prediction (the rest is the
        /// logged outcome). Without a teacher it learns from the log alone.
        public var distillation: Float = 1
        public var training = MultiTaskRanker.defaultTraining
        /// Set by training: the columns read (user, then item, then cross), and the mean watch
        /// time of the watched training rows (the unit of the watch-time odds).
        public var featureNames: [String] = []
        public var watchTimeScale: Float = 1

        public init() {}
    }

    public static let modelName = "three-tower"
    public static var defaultConfiguration: Configuration { Configuration() }

    /// The tower a feature column goes to, nil for an id column (left out): the user's
    /// statistics and profile and the request's context are the user's; the item's and its
    /// author's statistics and profile the item's, except its freshness and age, which move
    /// with the request's time; the rest (channel ranks, the user's interest in the item's
    /// category and author, tag overlap) is the cross tower's.
    public static func side(of name: String) -> Side? {
        if RankingExamples.isIDColumn(name) { return nil }
        if ["user:", "profile:user", "context:"].contains(where: name.hasPrefix) { return .user }
        if name == "item:freshness" || name.hasPrefix("item:age") { return .cross }
        if ["item:", "author:", "profile:item"].contains(where: name.hasPrefix) { return .item }
        return .cross
    }

    public static func configuration(_ base: Configuration, applying settings: ModelSettings) throws -> Configuration {
        var c = base
        try settings.refuse(ModelSettings.modelFields.filter { $0 != "objectives" && !ModelSettings.threeTowerFields.contains($0) },
                            by: modelName)
        try settings.apply(to: &c.training)
        c.userUnits = try ModelSettings.widths(settings.userUnits, "userUnits") ?? c.userUnits
        c.itemUnits = try ModelSettings.widths(settings.itemUnits, "itemUnits") ?? c.itemUnits
        c.crossUnits = try ModelSettings.widths(settings.crossUnits, "crossUnits") ?? c.crossUnits
        c.topUnits = try ModelSettings.widths(settings.topUnits, "topUnits", allowingNone: true) ?? c.topUnits
        guard c.userUnits.last == c.itemUnits.last else {
            throw StageError("userUnits and itemUnits must end in the same width (their outputs are multiplied), got \(c.userUnits) and \(c.itemUnits)")
        }
        if let share = settings.distillation {
            guard share >= 0 && share <= 1 else { throw StageError("distillation must be within 0…1, got \(share)") }
            c.distillation = share
        }
        c.objectives = try settings.objectives(or: c.objectives)
        return c
    }

    public let configuration: Configuration
    public let objectives: [Objective]
    let network: ThreeTowerNetwork
    let scaling: FeatureScaling
    /// The item tower's outputs by its input, shared by every request this ranker serves.
    public let itemCache: TowerOutputCache?

    public var featureNames: [String] { configuration.featureNames }

    init(configuration: Configuration, scaling: FeatureScaling, network: ThreeTowerNetwork) {
        (self.configuration, self.scaling, self.network) = (configuration, scaling, network)
        objectives = configuration.objectives ?? []
        itemCache = network.item.map { TowerOutputCache(inputWidth: network.widths.item, outputWidth: $0.outputSize) }
    }

    public func predict(_ batch: RankingBatch) -> Predictions {
        guard batch.count > 0 else { return Predictions(objectives: objectives, values: []) }
        let logits = Workspace.borrow { workspace in self.logits(batch, in: workspace).scalars }
        return Predictions(objectives: objectives, values: logits.enumerated().map { i, z in prediction(z, objectives[i % objectives.count]) })
    }

    /// The logits `[batch, objectives]` through the forward-only path serving uses, through
    /// the item cache when `cached`.
    public func logits(_ batch: RankingBatch, cached: Bool = true, in workspace: Workspace) -> Matrix {
        let x = workspace.matrix(rows: batch.count, columns: batch.width)
        batch.features.withUnsafeBufferPointer { scaling.apply($0, into: x.base) }
        return network.logits(x, itemCache: cached ? itemCache : nil, in: workspace)
    }

    /// The same logits through the training graph.
    public func logits(_ batch: RankingBatch, in graph: Graph) -> Node {
        network.logits(graph.constant(Tensor(shape: [batch.count, batch.width], scalars: scaling.apply(batch.features))))
    }

    /// A probability for click-like objectives; for watch time the odds e^z, in units of the
    /// training rows' mean watch time, as seconds.
    func prediction(_ z: Float, _ objective: Objective) -> Double {
        let z = min(max(z, -30), 30)
        return Double(objective.isProbability ? 1 / (1 + exp(-z)) : exp(z) * configuration.watchTimeScale)
    }
}
