import FunnelRerank
import Testing

@Suite struct MMRRerankerTests {
    /// Four candidates, two topics; relevance 1.0, 0.9, 0.8, 0.1 (rescaled: 1, 8/9, 7/9, 0).
    /// With λ = 0.5 and a window of 1: slot 1 takes a (0.5); slot 2 weighs b = 0.5·8/9 − 0.5 =
    /// −0.056, c = 0.5·7/9 = 0.389, d = 0 → c; slot 3, against c: b = 0.444, d = −0.5 → b;
    /// slot 4: d alone.
    @Test func alternatesTopicsByHand() {
        let topics = ["x", "x", "y", "y"]
        let mmr = MMRReranker(lambda: 0.5, window: 1)
        let order = mmr.order(relevance: [1.0, 0.9, 0.8, 0.1], n: 4) { topics[$0] == topics[$1] ? 1 : 0 }
        #expect(order == [0, 2, 1, 3])
        #expect(MMRReranker(lambda: 1, window: 3).order(relevance: [0.2, 0.9, 0.5], n: 2) { _, _ in 1 } == [1, 2], "λ = 1 keeps the ranker's order")
        #expect(mmr.order(relevance: [3, 3], n: 5) { _, _ in 0 } == [0, 1], "ties to the smaller index; never more than the candidates")
    }

    @Test func categoryLevelsOverlap() {
        let puzzle: [Int32] = [1, 2], action: [Int32] = [1, 3]   // games, games/puzzle, games/action
        #expect(CategorySimilarity.jaccard(puzzle, action) == 1.0 / 3)
        #expect(CategorySimilarity.jaccard(puzzle, puzzle) == 1)
        #expect(CategorySimilarity.jaccard(puzzle, []) == 0)
    }
}
