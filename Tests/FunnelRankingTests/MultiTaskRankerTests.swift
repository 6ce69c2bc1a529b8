import Foundation
import FunnelRanking
import FunnelStages
import FunnelTensor
import FunnelTesting
import Testing

@Suite struct MultiTaskRankerTests {
    @Test(arguments: MultiTaskRanker.Architecture.allCases)
    func passesTheTrainableRankerContract(_ architecture: MultiTaskRanker.Architecture) throws {
        try TrainableRankerContract.check(MultiTaskRanker.self, configuration: .init(architecture: architecture))
    }

    /// Two tasks of opposite sign on the same features, and watch time that grows with one of
    /// them: each head learns its own task, and watch time comes out in seconds.
    @Test func learnsEachTaskAndWatchTimeInSeconds() throws {
        var generator = SeededGenerator(seed: 5)
        let rows = 6_000, width = 4
        let x = Tensor.randomNormal(shape: [rows * width], generator: &generator).scalars
        var click: [Float] = [], like: [Float] = [], watch: [Float] = []
        for r in 0..<rows {
            let a = x[r * width], b = x[r * width + 1]
            click.append(Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-2 * a)) ? 1 : 0)
            like.append(Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(2 * a - b)) ? 1 : 0)
            watch.append(click[r] > 0 ? 30 * exp(b) : 0)
        }
        let start = Date(timeIntervalSince1970: 0)
        let examples = try RankingExamples(featureNames: ["a", "b", "c", "d"], features: x,
                                           labels: [.click: click, .like: like, .watchTime: watch],
                                           users: (0..<rows).map { "u\($0 % 50)" }, window: TrainingWindow(from: start, until: start + 86_400))
        let (ranker, report) = try MultiTaskRanker.train(on: examples, configuration: .init())
        #expect(ranker.objectives == [.click, .like, .watchTime])
        #expect(report.metrics["click.auc"]! > 0.8 && report.metrics["like.auc"]! > 0.8, "\(report.metrics)")
        // Two rows alike but for b: the larger b watches longer, about e^2 ≈ 7.4 times.
        let p = ranker.predict(RankingBatch(width: 4, features: [1, 1, 0, 0, 1, -1, 0, 0]))
        let ratio = p.value(0, .watchTime)! / p.value(1, .watchTime)!
        #expect(ratio > 3 && ratio < 20, "watch-time ratio \(ratio)")
        #expect(p.value(0, .watchTime)! > 10 && p.value(0, .watchTime)! < 200, "seconds: \(p.value(0, .watchTime)!)")
    }

    @Test func anObjectiveWithoutLabelsIsRefusedByName() throws {
        var configuration = MultiTaskRanker.Configuration()
        configuration.objectives = [.click, .share]
        let error = #expect(throws: StageError.self) {
            try MultiTaskRanker.train(on: try Fixtures.clickExamples(rows: 200), configuration: configuration)
        }
        #expect(error?.description.contains("no 'share' labels") == true)
    }

    /// Serving runs the forward-only path; it gives the training graph's logits, also for a
    /// request's batch where a column holds one value on every row.
    @Test(arguments: MultiTaskRanker.Architecture.allCases)
    func forwardPathIsTheGraphs(_ architecture: MultiTaskRanker.Architecture) throws {
        var configuration = MultiTaskRanker.Configuration(architecture: architecture)
        configuration.training.epochs = 2
        let examples = try Fixtures.clickExamples(rows: 600)
        let (ranker, _) = try MultiTaskRanker.train(on: examples, configuration: configuration)
        let width = examples.width
        var request = Array(examples.features.prefix(width * 57))
        for r in 1..<57 { request[r * width] = request[0] }
        expectServingMatchesGraph(ranker, width: width, batches: [Array(examples.features.prefix(width * 57)), request])
    }
}

/// Negative down-sampling: training on a tenth of the unclicked exposures, the corrected click
/// predictions match the observed rate, the uncorrected ones overshoot it, and the objective
/// that was not sampled stays calibrated through its 1 / keep-rate weights.
@Suite struct NegativeSamplingTests {
    static func examples() throws -> RankingExamples {
        var generator = SeededGenerator(seed: 23)
        let rows = 40_000, width = 3
        let x = Tensor.randomNormal(shape: [rows * width], generator: &generator).scalars
        var click: [Float] = [], like: [Float] = []
        for r in 0..<rows {
            let clicked = Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(3 - 1.5 * x[r * width]))
            click.append(clicked ? 1 : 0)
            like.append(clicked && Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-x[r * width + 1])) ? 1 : 0)
        }
        let start = Date(timeIntervalSince1970: 0)
        return try RankingExamples(featureNames: ["a", "b", "c"], features: x, labels: [.click: click, .like: like],
                                   users: (0..<rows).map { "u\($0 % 200)" }, window: TrainingWindow(from: start, until: start + 86_400))
    }

    static func meanPrediction(_ ranker: MultiTaskRanker, _ examples: RankingExamples, _ objective: Objective) -> Double {
        let values = ranker.predict(examples.validationBatch).column(objective)!
        return values.reduce(0, +) / Double(values.count)
    }

    static func observedRate(_ examples: RankingExamples, _ objective: Objective) -> Double {
        let labels = examples.labels[objective]![examples.validationRows]
        return Double(labels.reduce(0, +)) / Double(labels.count)
    }

    @Test func theCorrectionRestoresTrueRates() throws {
        let examples = try Self.examples()
        var configuration = MultiTaskRanker.Configuration(architecture: .sharedBottom)
        configuration.negativeSampling = NegativeSampling(keepRate: 0.1)
        let (corrected, report) = try MultiTaskRanker.train(on: examples, configuration: configuration)
        configuration.negativeSampling?.corrected = false
        let (uncorrected, _) = try MultiTaskRanker.train(on: examples, configuration: configuration)

        let clicks = examples.labels[.click]![examples.trainingRows].reduce(0, +)
        let kept = report.metrics["training.rows"]!
        let expectedRows = Double(clicks) + 0.1 * (Double(examples.trainingRows.count) - Double(clicks))
        #expect(abs(kept - expectedRows) < 0.05 * expectedRows, "kept \(kept) rows, expected about \(expectedRows)")

        let observed = Self.observedRate(examples, .click)
        let fixed = Self.meanPrediction(corrected, examples, .click), raw = Self.meanPrediction(uncorrected, examples, .click)
        #expect(abs(fixed - observed) < 0.15 * observed, "corrected mean \(fixed) against observed \(observed)")
        #expect(raw > 2 * observed, "uncorrected mean \(raw) against observed \(observed)")
        #expect(report.metrics["click.ece"]! < 0.02, "click ECE \(report.metrics["click.ece"]!)")

        let likes = Self.observedRate(examples, .like), predicted = Self.meanPrediction(corrected, examples, .like)
        #expect(abs(predicted - likes) < 0.15 * likes, "like mean \(predicted) against observed \(likes)")
    }

    @Test(arguments: [Float(0), 1.5, .nan])
    func aKeepRateOutsideTheUnitIntervalIsRefused(_ rate: Float) throws {
        var configuration = MultiTaskRanker.Configuration()
        configuration.negativeSampling = NegativeSampling(keepRate: rate)
        let error = #expect(throws: StageError.self) {
            try MultiTaskRanker.train(on: try Fixtures.clickExamples(rows: 200), configuration: configuration)
        }
        #expect(error?.description.contains("negativeSampling.keepRate") == true)
    }
}
