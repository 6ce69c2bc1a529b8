import Foundation
import FunnelEval
import FunnelTensor

/// Logistic regression over dense features, standardised with the training set's mean and
/// deviation: the ranker until the learned multi-task models take over. Trained on the numeric
/// core (a linear layer, binary cross-entropy, Adam, early stopping on validation AUC); served
/// from plain arrays, so scoring a candidate is one dot product.
public struct LogisticRanker: Codable, Sendable, Equatable {
    public let featureNames: [String]
    public let mean: [Float]
    public let deviation: [Float]
    public let weights: [Float]
    public let bias: Float

    /// How a training run went.
    public struct Report: Codable, Sendable {
        public var examples: Int
        public var positives: Int
        public var validationAUC: Double
        public var validationLogLoss: Double
        public var epochs: Int
    }

    /// The click probability of one row of features.
    public func probability(_ features: ArraySlice<Float>) -> Double {
        var z = bias
        for (j, x) in features.enumerated() { z += weights[j] * (x - mean[j]) / deviation[j] }
        return 1 / (1 + exp(-Double(z)))
    }

    /// Fits rows of `names.count` features (row after row in `features`) to 0/1 `labels`; the
    /// last `validationFraction` of the rows, in the order given (pass them in time order),
    /// validate.
    public static func fit(features: [Float], labels: [Float], names: [String], validationFraction: Double = 0.2,
                           configuration: TrainingConfiguration = defaultTraining) throws -> (LogisticRanker, Report) {
        let width = names.count, count = labels.count
        guard width > 0, features.count == count * width else {
            throw PipelineError("ranker training: \(features.count) feature values for \(count) labels of \(width) features")
        }
        let validationCount = Int(Double(count) * validationFraction)
        let trainingCount = count - validationCount
        let positives = labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        guard trainingCount >= 10, validationCount >= 10, positives > 0, positives < count else {
            throw PipelineError("ranker training needs logged exposures with both clicks and non-clicks: \(count) examples, \(positives) clicked")
        }
        var mean = [Float](repeating: 0, count: width), deviation = [Float](repeating: 0, count: width)
        for r in 0..<trainingCount { for j in 0..<width { mean[j] += features[r * width + j] } }
        for j in 0..<width { mean[j] /= Float(trainingCount) }
        for r in 0..<trainingCount { for j in 0..<width { deviation[j] += pow(features[r * width + j] - mean[j], 2) } }
        for j in 0..<width { deviation[j] = max(1e-6, (deviation[j] / Float(trainingCount)).squareRoot()) }
        let standardised = features.enumerated().map { (i, x) in (x - mean[i % width]) / deviation[i % width] }

        var generator = SeededGenerator(seed: configuration.seed)
        let layer = Linear(input: width, output: 1, generator: &generator)
        func logits(_ rows: some Collection<Int>, in graph: Graph) -> Node {
            var x: [Float] = []
            x.reserveCapacity(rows.count * width)
            for r in rows { x.append(contentsOf: standardised[(r * width)..<((r + 1) * width)]) }
            return layer(graph.constant(Tensor(shape: [rows.count, width], scalars: x))).reshaped([rows.count])
        }
        let validationRows = trainingCount..<count
        let validationLabels = Array(labels[validationRows])
        func validationProbabilities() -> [Float] {
            logits(validationRows, in: Graph(mode: .inference)).value.scalars.map { 1 / (1 + exp(-$0)) }
        }
        var optimizer = Adam(learningRate: configuration.learningRate)
        let history = Trainer(configuration).fit(layer, exampleCount: trainingCount, optimizer: &optimizer,
            loss: { graph, rows in graph.binaryCrossEntropy(logits: logits(rows, in: graph), labels: rows.map { labels[$0] }) },
            validate: { Metrics.auc(scores: validationProbabilities(), labels: validationLabels) })
        let p = validationProbabilities()
        let ranker = LogisticRanker(featureNames: names, mean: mean, deviation: deviation, weights: layer.weight.value.scalars,
                                    bias: layer.bias!.value.scalars[0])
        return (ranker, Report(examples: count, positives: positives, validationAUC: Metrics.auc(scores: p, labels: validationLabels),
                               validationLogLoss: Metrics.logLoss(probabilities: p, labels: validationLabels), epochs: history.epochs.count))
    }

    public static var defaultTraining: TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.epochs, c.batchSize, c.learningRate, c.patience) = (30, 512, 0.02, 3)
        return c
    }
}

/// Why the pipeline could not be built or trained.
public struct PipelineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
