import Foundation
import FunnelRanking
import FunnelStages
import FunnelTensor
import FunnelTesting
import Testing

@Suite struct LogisticRankerTests {
    @Test func passesTheTrainableRankerContract() throws {
        try TrainableRankerContract.check(LogisticRanker.self)
    }

    /// σ(b + Σ w·(x − mean)/deviation), by hand.
    @Test func probabilityByHand() {
        let ranker = LogisticRanker(featureNames: ["a", "b"], mean: [1, 0], deviation: [2, 1], weights: [0.5, -1], bias: 0.25)
        let predictions = ranker.predict(RankingBatch(width: 2, features: [3, 1, 1, 0]))
        let z0 = 0.25 + 0.5 * (3 - 1) / 2 - 1 * 1.0
        #expect(abs(predictions.value(0, .click)! - 1 / (1 + exp(-z0))) < 1e-6)
        #expect(abs(predictions.value(1, .click)! - 1 / (1 + exp(-0.25))) < 1e-6)
    }

    /// Fitted to one binary feature, logistic regression's maximum-likelihood solution is the
    /// click rate of each group: 1 in 4 without the feature, 3 in 4 with it.
    @Test func trainingRecoversEachGroupsClickRate() throws {
        let rows = 800
        let x = (0..<rows).map { Float($0 % 2) }
        let clicks = (0..<rows).map { r -> Float in
            let k = r / 2 % 4   // the r-th row's place in its group's cycle of four
            return (x[r] == 1 ? k != 0 : k == 0) ? 1 : 0
        }
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let examples = try RankingExamples(featureNames: ["x"], features: x, labels: [.click: clicks], users: (0..<rows).map { "u\($0 % 50)" },
                                           window: TrainingWindow(from: start, until: start.addingTimeInterval(86_400)))
        var configuration = LogisticRanker.defaultConfiguration
        configuration.training.epochs = 200
        configuration.training.patience = 200
        let (ranker, _) = try LogisticRanker.train(on: examples, configuration: configuration)
        let p: Predictions = ranker.predict(RankingBatch(width: 1, features: [0, 1]))
        let (without, with) = (p.value(0, Objective.click)!, p.value(1, Objective.click)!)
        #expect(abs(without - 0.25) < 0.01 && abs(with - 0.75) < 0.01, "predicted \(without) and \(with)")
    }

    /// A column constant in training (the second) scales by 1, so a value it never saw shifts
    /// the standardised input by its distance from the mean, not by a million times that.
    @Test func aColumnConstantInTrainingScalesByOne() {
        let scaling = FeatureScaling(fitting: [1, 4, 3, 4, 5, 4], width: 2, rows: 0..<3)
        #expect(scaling.mean == [3, 4])
        #expect(abs(scaling.deviation[0] - Float((8.0 / 3).squareRoot())) < 1e-6 && scaling.deviation[1] == 1)
        #expect(scaling.apply([3, 6]) == [0, 2])
    }

    @Test func examplesWithNonFiniteValuesAreRefusedWithTheRow() throws {
        let window = try Fixtures.clickExamples(rows: 10).window
        #expect(throws: StageError.self) {
            try RankingExamples(featureNames: ["a", "b"], features: [0, 1, 2, .nan], labels: [.click: [0, 1]], users: ["u", "v"], window: window)
        }
        let error = #expect(throws: StageError.self) {
            try RankingExamples(featureNames: ["a", "b"], features: [0, 1, 2, .infinity], labels: [.click: [0, 1]], users: ["u", "v"], window: window)
        }
        #expect(error?.description.contains("row 1, feature 'b'") == true)
    }
}
