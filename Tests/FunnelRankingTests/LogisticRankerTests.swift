import Foundation
import FunnelRanking
import FunnelStages
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
