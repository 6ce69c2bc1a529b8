import Foundation
import FunnelData
import FunnelEval
import FunnelTensor

/// Trains a two-tower model on (user, item) positives and scores users against all items.
public enum TwoTowerTraining {
    /// Trains with Adam on shuffled batches of positive pairs, early-stopping on `validate`.
    /// - Parameters:
    ///   - objective: the loss, the negatives and any self-supervised loss.
    ///   - taken: for `.hard` negatives, each user row's items (sorted), never taken as its
    ///     hard negative; none are left out when nil.
    @discardableResult
    public static func fit(_ model: TwoTower, pairs: [(user: Int32, item: Int32)], users: FeatureTable, items: FeatureTable,
                           configuration: TrainingConfiguration, objective: TwoTowerObjective = TwoTowerObjective(),
                           taken: [[Int32]]? = nil, validate: () -> Double,
                           onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingHistory {
        var negatives = TwoTowerNegatives(objective, targets: pairs.map(\.item), itemCount: items.count,
                                          logQ: model.configuration.logQCorrection, seed: configuration.seed)
        var augmentation = SplitMix64(seed: configuration.seed ^ 0xA5A5)
        let batchesPerEpoch = (pairs.count + configuration.batchSize - 1) / max(1, configuration.batchSize)
        var batches = 0
        var vectors = Tensor(zeros: [0])
        var optimizer = Adam(learningRate: configuration.learningRate)
        return Trainer(configuration).fit(model, exampleCount: pairs.count, optimizer: &optimizer,
            loss: { graph, rows in
                let userRows = rows.map { pairs[$0].user }, targets = rows.map { pairs[$0].item }
                var hard: [Int32]?
                if objective.negatives == .hard {
                    if batches % batchesPerEpoch == 0 && graph.isTraining { vectors = itemVectors(model, items: items) }
                    if graph.isTraining { batches += 1 }
                    let ranked = rankedItems(model, users: users, userRows: userRows, itemVectors: vectors,
                                             depth: objective.hardRanks.upperBound + (taken == nil ? 0 : 200))
                    hard = zip(userRows, ranked).map { negatives.hardNegative(ranked: $1, taken: taken?[Int($0)] ?? []) }
                }
                let keys = negatives.keys(targets: targets, hard: hard)
                var loss = graph.productLoss(objective.productLoss, queries: model.userVectors(users.batch(userRows), in: graph),
                                             keys: model.itemVectors(items.batch(keys.items), in: graph),
                                             scale: 1 / model.configuration.temperature, targets: (0..<Int32(rows.count)).map { $0 },
                                             correction: keys.correction)
                if let s = objective.selfSupervision, graph.isTraining {
                    let sample = Array((0..<Int32(items.count)).shuffled(using: &augmentation).prefix(s.batchSize))
                    loss = loss + s.weight * model.selfSupervisedLoss(items.batch(sample), s, generator: &augmentation, in: graph)
                }
                return loss
            },
            validate: validate, onEvent: onEvent)
    }

    /// Each user's `depth` best items by the current model, best first.
    static func rankedItems(_ model: TwoTower, users: FeatureTable, userRows: [Int32], itemVectors: Tensor, depth: Int) -> [[Int32]] {
        let n = itemVectors.shape[0]
        let scores = scores(model, users: users, userRows: userRows, itemVectors: itemVectors)
        return (0..<userRows.count).map { row in
            var top = TopK()
            for i in 0..<n { top.add(scores[row * n + i], Int32(i)) }
            return top.best(depth).neighbours
        }
    }

    /// Unit vectors of every item, `[items.count, d]`, computed in inference mode.
    public static func itemVectors(_ model: TwoTower, items: FeatureTable, batchSize: Int = 4096) -> Tensor {
        var scalars: [Float] = []
        var start: Int32 = 0
        while Int(start) < items.count {
            let rows = start..<min(Int32(items.count), start + Int32(batchSize))
            scalars += Workspace.borrow { model.itemVectors(items.batch(rows), in: $0).scalars }
            start = rows.upperBound
        }
        return Tensor(shape: [items.count, scalars.count / max(1, items.count)], scalars: scalars)
    }

    /// Cosine scores of `userRows` against all item vectors, row-major `[userRows.count, items]`.
    public static func scores(_ model: TwoTower, users: FeatureTable, userRows: [Int32], itemVectors: Tensor) -> [Float] {
        Workspace.borrow { workspace in
            let u = model.userVectors(users.batch(userRows), in: workspace)
            let scores = workspace.matrix(rows: u.rows, columns: itemVectors.shape[0])
            itemVectors.scalars.withUnsafeBufferPointer { v in
                BLAS.gemm(transposeA: false, transposeB: true, m: u.rows, n: scores.columns, k: u.columns,
                          a: u.base, b: v.baseAddress!, c: scores.base)
            }
            return scores.scalars
        }
    }

    /// Full-ranking metrics of the model on held-out targets.
    public static func evaluate(_ model: TwoTower, users: FeatureTable, items: FeatureTable, targets: [Int32?],
                                excluded: [Set<Int32>], ks: [Int] = [10, 50]) -> RankingMetrics.Summary {
        let vectors = itemVectors(model, items: items)
        return FullRanking.evaluate(targets: targets, excluded: excluded, itemCount: items.count, ks: ks) {
            scores(model, users: users, userRows: $0, itemVectors: vectors)
        }
    }
}
