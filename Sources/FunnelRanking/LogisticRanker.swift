import Foundation
import FunnelEval
import FunnelStages
import FunnelTensor

/// Logistic regression over dense features, standardised with the training set's mean and
/// deviation: the baseline ranker, predicting clicks. Trained on the numeric core (a linear
/// layer, binary cross-entropy, Adam, early stopping on validation AUC); served from plain
/// arrays, so scoring a candidate is one dot product.
public struct LogisticRanker: TrainableRanker, Equatable {
    public struct Configuration: Codable, Sendable, Equatable {
        public var featureNames: [String] = []
        public var training = LogisticRanker.defaultTraining
        public init() {}
    }

    public static let modelName = "logistic-regression"
    public static var defaultConfiguration: Configuration { Configuration() }

    /// Only the training settings apply: the model is one linear layer over every feature.
    public static func configuration(_ base: Configuration, applying settings: ModelSettings) throws -> Configuration {
        try settings.refuse(ModelSettings.modelFields, by: modelName)
        var c = base
        try settings.apply(to: &c.training)
        return c
    }

    public let featureNames: [String]
    public let mean: [Float]
    public let deviation: [Float]
    public let weights: [Float]
    public let bias: Float
    public let training: TrainingConfiguration
    /// The weights over the raw features, the standardisation folded in (`FeatureScaling.fold`).
    private let scaled: FoldedWeights

    private struct FoldedWeights: Equatable, Sendable {
        var weights: [Float]
        var bias: Float
    }

    public var objectives: [Objective] { [.click] }

    public func predict(_ batch: RankingBatch) -> Predictions {
        precondition(batch.width == scaled.weights.count, "\(batch.width) features where the ranker reads \(scaled.weights.count)")
        var p = [Double](repeating: 0, count: batch.count)
        batch.features.withUnsafeBufferPointer { x in
            scaled.weights.withUnsafeBufferPointer { w in
                let n = w.count, weights = UnsafeRawPointer(w.baseAddress!)
                for r in 0..<batch.count {
                    let row = UnsafeRawPointer(x.baseAddress! + r * n)
                    // Eight lanes at a time: a scalar sum is a chain the compiler may not reorder.
                    var lanes = SIMD8<Float>()
                    var j = 0
                    while j + 8 <= n {
                        lanes += row.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                            * weights.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                        j += 8
                    }
                    var z = scaled.bias + lanes.sum()
                    while j < n { z += w[j] * x[r * n + j]; j += 1 }
                    p[r] = 1 / (1 + exp(-Double(z)))
                }
            }
        }
        return Predictions(.click, p)
    }

    /// Fits the click labels of `examples`, validating on their most recent rows. Id columns
    /// name ids rather than measure anything, so a linear model leaves them out.
    public static func train(on examples: RankingExamples, configuration: Configuration) throws -> (LogisticRanker, TrainingReport) {
        let examples = try examples.withoutIDColumns
        let width = examples.width
        guard let labels = examples.labels[.click] else { throw StageError("\(modelName) needs click labels") }
        let trainingCount = examples.validationStart, count = examples.count
        let positives = labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        guard trainingCount >= 10, count - trainingCount >= 10, positives > 0, positives < count else {
            throw StageError("ranker training needs logged exposures with both clicks and non-clicks: \(count) examples, \(positives) clicked")
        }
        let scaling = FeatureScaling(fitting: examples.features, width: width, rows: examples.trainingRows)
        let (mean, deviation) = (scaling.mean, scaling.deviation)
        let standardised = RankingBatch(width: width, features: scaling.apply(examples.features))

        let training = configuration.training
        var generator = SeededGenerator(seed: training.seed)
        let layer = Linear(input: width, output: 1, generator: &generator)
        func logits(_ rows: some Collection<Int>, in graph: Graph) -> Node {
            layer(graph.constant(Tensor(shape: [rows.count, width], scalars: standardised.rows(rows).features))).reshaped([rows.count])
        }
        let validationLabels = Array(labels[examples.validationRows])
        func validationProbabilities() -> [Float] {
            logits(examples.validationRows, in: Graph(mode: .inference)).value.scalars.map { 1 / (1 + exp(-$0)) }
        }
        var optimizer = Adam(learningRate: training.learningRate)
        let history = Trainer(training).fit(layer, exampleCount: trainingCount, optimizer: &optimizer,
            loss: { graph, rows in graph.binaryCrossEntropy(logits: logits(rows, in: graph), labels: rows.map { labels[$0] }) },
            // AUC − log loss, as FuxiCTR monitors: ties in ordering go to the better calibrated weights.
            validate: {
                let p = validationProbabilities()
                return Metrics.auc(scores: p, labels: validationLabels) - Metrics.logLoss(probabilities: p, labels: validationLabels)
            })
        let p = validationProbabilities()
        let ranker = LogisticRanker(featureNames: examples.featureNames, mean: mean, deviation: deviation,
                                    weights: layer.weight.value.scalars, bias: layer.bias!.value.scalars[0], training: training)
        let metrics = ["click.auc": Metrics.auc(scores: p, labels: validationLabels),
                       "click.logloss": Metrics.logLoss(probabilities: p, labels: validationLabels),
                       "click.positives": Double(positives)]
        return (ranker, TrainingReport(examples: count, epochs: history.epochs.count, metrics: metrics))
    }

    public static var defaultTraining: TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.epochs, c.batchSize, c.learningRate, c.patience) = (30, 512, 0.02, 3)
        return c
    }

    public init(featureNames: [String], mean: [Float], deviation: [Float], weights: [Float], bias: Float,
                training: TrainingConfiguration = defaultTraining) {
        precondition([mean.count, deviation.count, weights.count].allSatisfy { $0 == featureNames.count },
                     "one mean, deviation and weight per feature")
        (self.featureNames, self.mean, self.deviation, self.weights, self.bias, self.training) =
            (featureNames, mean, deviation, weights, bias, training)
        let folded = FeatureScaling(mean: mean, deviation: deviation).fold(weights: weights, bias: [bias])
        scaled = FoldedWeights(weights: folded.weights, bias: folded.bias[0])
    }

    public func saved(version: String, report: TrainingReport?, window: TrainingWindow?) throws -> SavedModel {
        var configuration = Configuration()
        (configuration.featureNames, configuration.training) = (featureNames, training)
        let width = featureNames.count
        return try SavedModel(model: Self.modelName, version: version, configuration: configuration,
                              tensors: ["mean": Tensor(shape: [width], scalars: mean),
                                        "deviation": Tensor(shape: [width], scalars: deviation),
                                        "weight": Tensor(shape: [width], scalars: weights),
                                        "bias": Tensor(shape: [1], scalars: [bias])],
                              metrics: report?.metrics ?? [:], trainingWindow: window)
    }

    public init(saved: SavedModel) throws {
        let (manifest, tensors) = try saved.open(as: Self.modelName, configuration: Configuration.self)
        let names = manifest.configuration.featureNames
        for name in ["mean", "deviation", "weight"] where tensors[name]?.shape != [names.count] {
            throw StageError("\(Self.modelName) artifact: '\(name)' has shape \(tensors[name]?.shape ?? []), not [\(names.count)] for its \(names.count) features")
        }
        guard tensors["bias"]?.shape == [1] else { throw StageError("\(Self.modelName) artifact: 'bias' is not one value") }
        self.init(featureNames: names, mean: tensors["mean"]!.scalars, deviation: tensors["deviation"]!.scalars,
                  weights: tensors["weight"]!.scalars, bias: tensors["bias"]!.scalars[0], training: manifest.configuration.training)
    }
}
