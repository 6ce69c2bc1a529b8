import Foundation
import FunnelData
import FunnelEval
import FunnelTensor

/// Trains a two-tower model on (user, item) positives and scores users against all items.
public enum TwoTowerTraining {
    /// Trains with Adam on shuffled batches of positive pairs, early-stopping on `validate`.
    @discardableResult
    public static func fit(_ model: TwoTower, pairs: [(user: Int32, item: Int32)], users: FeatureTable, items: FeatureTable,
                           configuration: TrainingConfiguration, validate: () -> Double,
                           onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingHistory {
        var counts = [Int](repeating: 0, count: items.count)
        for p in pairs { counts[Int(p.item)] += 1 }
        let logQ = counts.map { Float(Foundation.log(Double(max($0, 1)) / Double(pairs.count))) }
        var optimizer = Adam(learningRate: configuration.learningRate)
        return Trainer(configuration).fit(model, exampleCount: pairs.count, optimizer: &optimizer,
            loss: { graph, rows in
                let batchItems = rows.map { pairs[$0].item }
                return model.inBatchSoftmaxLoss(users: users.batch(rows.map { pairs[$0].user }), items: items.batch(batchItems),
                                                logQ: batchItems.map { logQ[Int($0)] }, in: graph)
            },
            validate: validate, onEvent: onEvent)
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
