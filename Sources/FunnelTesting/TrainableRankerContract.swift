import Foundation
import FunnelStages
import FunnelTensor
import Testing

/// What every `TrainableRanker` must do: learn from examples (beating chance on held-out rows),
/// pass the ranker contract, survive a save and load with the same predictions, and refuse an
/// artifact of another model or shape. `featureNames`: the fixture's columns' names (`x0`…`x5`
/// by default), for a model that reads columns by their names.
public enum TrainableRankerContract {
    public static func check<R: TrainableRanker>(_ type: R.Type, configuration: R.Configuration = R.defaultConfiguration,
                                                 featureNames: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let examples = try Fixtures.clickExamples(featureNames: featureNames)
        let (ranker, report) = try R.train(on: examples, configuration: configuration)
        #expect(!ranker.name.isEmpty && report.examples == examples.count, sourceLocation: sourceLocation)
        RankerContract.check(ranker, sourceLocation: sourceLocation)

        // It learned: better than chance on the held-out rows.
        let validation = ranker.predict(examples.validationBatch)
        if let clicks = validation.column(.click) {
            let auc = Fixtures.auc(clicks, Array(examples.labels[.click]![examples.validationRows]))
            #expect(auc > 0.65, "\(R.modelName): validation AUC \(auc) on a fixture a linear model ranks at about 0.8",
                    sourceLocation: sourceLocation)
        }

        // Save and load: the same predictions, the model's name and training window in the manifest.
        let saved = try ranker.saved(version: "contract", report: report, window: examples.window)
        let loaded = try R(saved: saved)
        #expect(loaded.predict(examples.validationBatch) == validation, "\(R.modelName): loaded predictions equal the trained ones",
                sourceLocation: sourceLocation)
        let manifest = try saved.open(as: R.modelName, configuration: R.Configuration.self).manifest
        #expect(manifest.version == "contract" && manifest.trainingWindow == examples.window, sourceLocation: sourceLocation)

        // Another model's artifact, and weights of another shape, are refused.
        let tensors = try SafeTensors.decode(saved.weights).tensors
        let other = try SavedModel(model: "\(R.modelName)-other", version: "1", configuration: manifest.configuration, tensors: tensors)
        #expect(throws: (any Error).self, "\(R.modelName): refuses another model's artifact", sourceLocation: sourceLocation) {
            try R(saved: other)
        }
        var reshaped = tensors
        if let name = tensors.keys.sorted().first, let t = tensors[name] {
            reshaped[name] = Tensor(shape: [t.count + 1], scalars: t.scalars + [0])
        }
        let wrongShape = try SavedModel(model: R.modelName, version: "1", configuration: manifest.configuration, tensors: reshaped)
        #expect(throws: (any Error).self, "\(R.modelName): refuses weights of another shape", sourceLocation: sourceLocation) {
            try R(saved: wrongShape)
        }
    }
}

/// Data with known answers for the contracts.
public enum Fixtures {
    /// 4,000 rows of 6 features; clicks drawn with probability sigmoid(w·x − 1) for a fixed w,
    /// so a model that learns the signal ranks held-out rows at an AUC of about 0.8.
    public static func clickExamples(rows: Int = 4_000, seed: UInt64 = 11, featureNames: [String]? = nil) throws -> RankingExamples {
        var generator = SeededGenerator(seed: seed)
        let weights: [Float] = [1.5, -1, 0.8, 0, 0.5, -0.3]
        let width = weights.count
        let x = Tensor.randomNormal(shape: [rows * width], generator: &generator).scalars
        let labels = (0..<rows).map { r -> Float in
            let z = zip(weights, x[(r * width)..<((r + 1) * width)]).reduce(-1) { $0 + $1.0 * $1.1 }
            return Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-z)) ? 1 : 0
        }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return try RankingExamples(featureNames: featureNames ?? (0..<width).map { "x\($0)" }, features: x, labels: [.click: labels],
                                   users: (0..<rows).map { "u\($0 % 100)" },
                                   window: TrainingWindow(from: start, until: start.addingTimeInterval(7 * 86_400)))
    }

    /// The area under the ROC curve, ties counted half (a plain reference for the contracts).
    public static func auc(_ scores: [Double], _ labels: [Float]) -> Double {
        let positives = scores.indices.filter { labels[$0] > 0.5 }, negatives = scores.indices.filter { labels[$0] <= 0.5 }
        guard !positives.isEmpty, !negatives.isEmpty else { return 0.5 }
        var wins = 0.0
        for p in positives { for n in negatives { wins += scores[p] > scores[n] ? 1 : scores[p] == scores[n] ? 0.5 : 0 } }
        return wins / Double(positives.count * negatives.count)
    }
}
