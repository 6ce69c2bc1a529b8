import FunnelData
import FunnelTensor

/// A two-tower retrieval model (Yi et al., "Sampling-Bias-Corrected Neural Modeling for Large
/// Corpus Item Recommendations", RecSys 2019): a user tower and an item tower map each side to
/// a unit vector; relevance is their cosine divided by a temperature. `TwoTowerTraining` trains
/// it with the loss and negatives a `TwoTowerObjective` names: by default listwise, an in-batch
/// softmax where each other item of the batch is a negative, with the logQ correction that
/// subtracts the log of each item's sampling probability so popular items are not
/// over-penalised as negatives.
///
/// Sendable so that a trained model can serve concurrent requests: inference only reads the
/// parameters (training, which writes them, runs before the model is shared).
public struct TwoTower: Module, @unchecked Sendable {
    public struct Configuration: Codable, Hashable, Sendable {
        public var user: Tower.Configuration
        public var item: Tower.Configuration
        public var temperature: Float = 0.1
        public var logQCorrection = true
        public var seed: UInt64 = 2021

        public init(user: Tower.Configuration, item: Tower.Configuration) {
            self.user = user
            self.item = item
        }
    }

    public let configuration: Configuration
    public let userTower: Tower
    public let itemTower: Tower

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var generator = SeededGenerator(seed: configuration.seed)
        userTower = Tower(configuration.user, generator: &generator)
        itemTower = Tower(configuration.item, generator: &generator)
    }

    /// Unit user vectors `[batch, d]`.
    public func userVectors(_ batch: FeatureTable.Batch, in graph: Graph) -> Node {
        userTower(batch, in: graph).l2Normalized()
    }

    /// Unit item vectors `[batch, d]`.
    public func itemVectors(_ batch: FeatureTable.Batch, in graph: Graph) -> Node {
        itemTower(batch, in: graph).l2Normalized()
    }

    /// Unit user vectors `[batch, d]` without a graph, for serving.
    public func userVectors(_ batch: FeatureTable.Batch, in workspace: Workspace) -> Matrix {
        let vectors = userTower.forward(batch, in: workspace)
        vectors.normalizeRows()
        return vectors
    }

    /// Unit item vectors `[batch, d]` without a graph.
    public func itemVectors(_ batch: FeatureTable.Batch, in workspace: Workspace) -> Matrix {
        let vectors = itemTower.forward(batch, in: workspace)
        vectors.normalizeRows()
        return vectors
    }

    /// The in-batch softmax loss of matching pairs (row i of each batch is a positive pair);
    /// `logQ` holds log sampling probabilities of the batch's items when corrected. Without
    /// accidental-hit masking: the training benchmark's step, as its PyTorch peer computes it.
    public func inBatchSoftmaxLoss(users: FeatureTable.Batch, items: FeatureTable.Batch, logQ: [Float]?, in graph: Graph) -> Node {
        let correction = configuration.logQCorrection ? logQ.map { Tensor(shape: [$0.count], scalars: $0.map { -$0 }) } : nil
        return graph.productSoftmaxCrossEntropy(queries: userVectors(users, in: graph), keys: itemVectors(items, in: graph),
                                                scale: 1 / configuration.temperature,
                                                targets: (0..<Int32(users.count)).map { $0 }, correction: correction)
    }

    /// The self-supervised loss of two augmented views of the items of `batch`, which must
    /// find each other among the batch's views (see `TwoTowerObjective.SelfSupervision`).
    func selfSupervisedLoss(_ batch: FeatureTable.Batch, _ s: TwoTowerObjective.SelfSupervision,
                            generator: inout SplitMix64, in graph: Graph) -> Node {
        let fields = itemTower.configuration.fieldCount, features = fields + (itemTower.bag == nil ? 0 : 1)
        precondition(s.augmentation == .dropout || features > 1,
                     "self-supervision by \(s.augmentation.rawValue) masks some of an item's features, but the item tower reads one")
        var keep: [[Bool]] = [[], []]
        for _ in 0..<batch.count {
            var views = [[Bool]](repeating: [Bool](repeating: true, count: features), count: 2)
            switch s.augmentation {
            case .complementary:
                let order = (0..<features).shuffled(using: &generator)
                for (position, feature) in order.enumerated() { views[position < features / 2 ? 0 : 1][feature] = false }
            case .mask:
                for v in 0..<2 {
                    for f in 0..<features where Float(generator.nextUnitDouble()) < s.rate { views[v][f] = false }
                    if !views[v].contains(true) { views[v][Int(generator.next() % UInt64(features))] = true }
                }
            case .dropout:
                break
            }
            keep[0] += views[0]
            keep[1] += views[1]
        }
        let vectors = (0..<2).map { v in
            let viewBatch = batch.filteringBags { row, _ in
                (fields == features || keep[v][row * features + fields])
                    && (s.augmentation != .dropout || Float(generator.nextUnitDouble()) >= s.rate)
            }
            let fieldFlags = (0..<batch.count).flatMap { row in keep[v][(row * features)..<(row * features + fields)] }
            return itemTower(viewBatch, keeping: fieldFlags, dropout: s.augmentation == .dropout ? s.rate : 0, in: graph).l2Normalized()
        }
        return graph.productSoftmaxCrossEntropy(queries: vectors[0], keys: vectors[1], scale: 1 / s.temperature,
                                                targets: (0..<Int32(batch.count)).map { $0 })
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("user", userTower, visit)
        FunnelTensor.visit("item", itemTower, visit)
    }
}
