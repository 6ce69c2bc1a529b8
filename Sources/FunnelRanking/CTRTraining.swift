import Foundation
import FunnelData
import FunnelEval
import FunnelTensor

/// Trains and evaluates CTR models on field datasets.
public enum CTRTraining {
    public struct Evaluation: Sendable, Codable {
        public var auc: Double
        public var logLoss: Double
    }

    /// Trains with Adam and binary cross-entropy, early-stopping on validation AUC; the model
    /// ends with its best weights.
    @discardableResult
    public static func fit(_ model: some CTRModel, train: FieldDataset, validation: FieldDataset,
                           configuration: TrainingConfiguration,
                           onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingHistory {
        var optimizer = Adam(learningRate: configuration.learningRate)
        return Trainer(configuration).fit(model, exampleCount: train.count, optimizer: &optimizer,
            loss: { graph, rows in
                let logits = model.logits(ids: train.ids(of: rows), batch: rows.count, in: graph)
                return graph.binaryCrossEntropy(logits: logits, labels: train.labels(of: rows))
            },
            validate: { evaluate(model, on: validation).auc },
            onEvent: onEvent)
    }

    /// Click probabilities for every example, computed in inference mode.
    public static func predict(_ model: some CTRModel, on data: FieldDataset, batchSize: Int = 8192, precision: Precision = .float32) -> [Float] {
        logits(model, on: data, batchSize: batchSize, precision: precision).map(sigmoid)
    }

    /// The logits of every example, through the forward-only path.
    public static func logits(_ model: some CTRModel, on data: FieldDataset, batchSize: Int = 8192, precision: Precision = .float32) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(data.count)
        var start = 0
        while start < data.count {
            let rows = start..<min(data.count, start + batchSize)
            Workspace.borrow { workspace in
                workspace.precision = precision
                out.append(contentsOf: model.logits(ids: data.ids(of: rows), batch: rows.count, in: workspace).scalars)
            }
            start = rows.upperBound
        }
        return out
    }

    /// Click probabilities for `batch` examples given row-major field ids, through the
    /// forward-only path.
    /// With several threads, the rows split among them and each runs the whole network on its
    /// share (no hand-off between layers).
    public static func predict(_ model: some CTRModel, ids: [Int32], batch: Int, precision: Precision = .float32) -> [Float] {
        var probabilities = [Float](repeating: 0, count: batch)
        let fields = batch > 0 ? ids.count / batch : 0
        probabilities.withUnsafeMutableBufferPointer { out in
            Compute.parallel(batch, minimumChunk: 256) { _, rows in
                Workspace.borrow { workspace in
                    workspace.precision = precision
                    let logits = model.logits(ids: Array(ids[(rows.lowerBound * fields)..<(rows.upperBound * fields)]), batch: rows.count, in: workspace)
                    for (i, z) in logits.scalars.enumerated() { out[rows.lowerBound + i] = sigmoid(z) }
                }
            }
        }
        return probabilities
    }

    public static func sigmoid(_ logit: Float) -> Float { 1 / (1 + Foundation.exp(-logit)) }

    /// An ensemble's logits: the mean, example by example, of its members' (all of one length).
    public static func meanLogits(_ members: [[Float]]) -> [Float] {
        guard let first = members.first else { return [] }
        return first.indices.map { i in members.reduce(0) { $0 + $1[i] } / Float(members.count) }
    }

    /// AUC and log loss of probabilities against labels.
    public static func evaluate(probabilities p: [Float], labels: [Float]) -> Evaluation {
        Evaluation(auc: Metrics.auc(scores: p, labels: labels), logLoss: Metrics.logLoss(probabilities: p, labels: labels))
    }

    public static func evaluate(_ model: some CTRModel, on data: FieldDataset) -> Evaluation {
        evaluate(probabilities: predict(model, on: data), labels: data.labels)
    }
}
