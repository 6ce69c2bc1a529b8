import Foundation
import FunnelStages
import Testing

@Suite struct ScoreFusionTests {
    /// Two candidates: click, like, watch time (seconds).
    static let predictions = Predictions(objectives: [.click, .like, .watchTime], values: [0.5, 0.1, 20, 0.2, 0.4, 100])

    func fusion(_ rule: ScoreFusion.Rule, _ weights: [String: Double]) -> ScoreFusion {
        var fusion = ScoreFusion()
        (fusion.rule, fusion.weights) = (rule, weights)
        return fusion
    }

    @Test func eachRuleByHand() {
        let p = Self.predictions
        let sum = fusion(.weightedSum, ["click": 1, "like": 2, "watch-time": 0.1]).fuse(p)
        #expect(abs(sum[0] - (0.5 + 0.2 + 0.1 * log(21))) < 1e-12 && abs(sum[1] - (0.2 + 0.8 + 0.1 * log(101))) < 1e-12)
        let power = fusion(.powerProduct, ["click": 1, "like": 2]).fuse(p)
        #expect(abs(power[0] - 1.5 * 1.1 * 1.1) < 1e-12 && abs(power[1] - 1.2 * 1.4 * 1.4) < 1e-12)
        let product = fusion(.product, ["click": 1, "like": 0.5]).fuse(p)
        #expect(abs(product[0] - 0.5 * 0.1.squareRoot()) < 1e-12 && abs(product[1] - 0.2 * 0.4.squareRoot()) < 1e-12)
        // Candidate 0 is first by click, second by like: 1/10 + 2/11; candidate 1: 1/11 + 2/10.
        let rank = fusion(.rank, ["click": 1, "like": 2]).fuse(p)
        #expect(abs(rank[0] - (1.0 / 10 + 2.0 / 11)) < 1e-12 && abs(rank[1] - (1.0 / 11 + 2.0 / 10)) < 1e-12)
    }

    @Test func onlyPredictedObjectivesCount() {
        let clicksOnly = Predictions(.click, [0.3, 0.7])
        #expect(fusion(.weightedSum, ["click": 2, "share": 1]).fuse(clicksOnly) == [0.6, 1.4])
        #expect(fusion(.weightedSum, ["share": 1]).fuse(clicksOnly) == [0.3, 0.7], "no weighted objective: the click prediction")
    }

    @Test func badWeightsAreRefusedByName() {
        let unknown = #expect(throws: StageError.self) { try fusion(.weightedSum, ["clicks": 1]).validate() }
        #expect(unknown?.description.contains("unknown objective 'clicks'") == true)
        let infinite = #expect(throws: StageError.self) { try fusion(.weightedSum, ["like": .infinity]).validate() }
        #expect(infinite?.description.contains("'like' must be a finite number") == true)
    }
}
