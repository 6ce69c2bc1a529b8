import Foundation
import FunnelEval
import FunnelTestSupport
import Testing

@Suite struct ListMetricsTests {
    /// Ranked [3, 1, 4, 5, 9] against relevant {1, 5, 7}: hits at ranks 1 and 3 (0-based).
    @Test func listMetricsByHand() {
        let ranked: [Int32] = [3, 1, 4, 5, 9], relevant: Set<Int32> = [1, 5, 7]
        #expect(ListMetrics.precision(ranked, relevant: relevant, k: 5) == 0.4)
        #expect(abs(ListMetrics.recall(ranked, relevant: relevant, k: 5) - 2.0 / 3) < 1e-12)
        let dcg = 1 / log2(3.0) + 1 / log2(5.0), ideal = 1 + 1 / log2(3.0) + 0.5
        #expect(abs(ListMetrics.ndcg(ranked, relevant: relevant, k: 5) - dcg / ideal) < 1e-12)
        #expect(ListMetrics.reciprocalRank(ranked, relevant: relevant) == 0.5)
        #expect(ListMetrics.reciprocalRank(ranked, relevant: relevant, k: 1) == 0)
        #expect(abs(ListMetrics.averagePrecision(ranked, relevant: relevant, k: 5) - (0.5 + 0.5) / 3) < 1e-12)
    }

    /// A target tied with one other candidate sits at rank 0 or 1 with equal chance.
    @Test func tiesCountAtTheirExpectedRank() {
        let (hit, ndcg) = RankingMetrics.expected(greater: 0, ties: 1, k: 1)
        #expect(hit == 0.5 && ndcg == 0.5)
        let (hit10, _) = RankingMetrics.expected(greater: 5, ties: 9, k: 10)
        #expect(hit10 == 0.5)
        #expect(RankingMetrics.expected(greater: 10, ties: 3, k: 10).hit == 0)
    }

    /// Groups: A (2 examples) AUC 1, B (3 examples) AUC 0, C has one class and is skipped.
    @Test func groupAUCByHand() {
        let gauc = Metrics.groupAUC(scores: [0.9, 0.1, 0.2, 0.8, 0.5, 0.3], labels: [1, 0, 1, 0, 0, 1], groups: [0, 0, 1, 1, 1, 2])
        #expect(abs(gauc - 0.4) < 1e-12)
    }

    @Test func beyondAccuracyByHand() {
        let lists: [[Int32]] = [[0, 1], [1, 2]]
        #expect(BeyondAccuracy.coverage(lists, catalogueSize: 6) == 0.5)
        // Items 0 and 1 share a category, 2 does not: list 1 has dissimilarity 0, list 2 has 1.
        let diversity = BeyondAccuracy.intraListDiversity(lists) { a, b in (a < 2) == (b < 2) ? 1 : 0 }
        #expect(diversity == 0.5)
        // p(0) = 4/8, p(1) = 2/8, p(2) = 1/8 → self-information 1, 2, 2, 3.
        #expect(BeyondAccuracy.novelty(lists, interactionCounts: [4, 2, 1], userCount: 8) == 2)
    }

    @Test func sampledCandidatesAreSeededAndValid() {
        let interacted: [Set<Int32>] = [[0, 1, 2], [5]]
        let targets: [Int32?] = [3, nil]
        let a = SampledRanking.candidates(targets: targets, interacted: interacted, itemCount: 50, negatives: 100, seed: 7)
        let b = SampledRanking.candidates(targets: targets, interacted: interacted, itemCount: 50, negatives: 100, seed: 7)
        #expect(a == b && a[1] == nil)
        let list = a[0]!
        #expect(list.count == 101 && list[0] == 3)
        #expect(list.dropFirst().allSatisfy { !interacted[0].contains($0) && $0 != 3 })
        // Popularity sampling never draws an item without interactions, and favours popular ones.
        var counts = [Int](repeating: 0, count: 50)
        counts[10] = 90; counts[11] = 10
        let popular = SampledRanking.candidates(targets: [3], interacted: [[]], itemCount: 50, negatives: 1000,
                                                sampling: .popularity, itemCounts: counts, seed: 1)[0]!.dropFirst()
        #expect(popular.allSatisfy { $0 == 10 || $0 == 11 })
        #expect(popular.filter { $0 == 10 }.count > 800)
    }

    @Test func sampledProtocolScoresPerfectAndConstantModels() {
        let candidates = SampledRanking.candidates(targets: [1, 2, 3], interacted: [[], [], []], itemCount: 1000, negatives: 100, seed: 3)
        let perfect = SampledRanking.evaluate(candidates) { _, items in items.enumerated().map { $0.offset == 0 ? 1 : 0 } }
        #expect(perfect.hitRate(at: 10) == 1 && perfect.ndcg(at: 10) == 1)
        let constant = SampledRanking.evaluate(candidates) { _, items in items.map { _ in 0 } }
        #expect(abs(constant.hitRate(at: 10) - 10.0 / 101) < 1e-12)
    }

    @Test(.enabled(if: PythonPeer.available("sklearn", "numpy"), "scikit-learn missing (pip install scikit-learn)"))
    func gradedNDCGMatchesScikitLearn() throws {
        var state: UInt64 = 12345
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        let rows = 20, width = 15, k = 5
        let scores = (0..<rows).map { _ in (0..<width).map { _ in Float(next()) } }
        let relevance = (0..<rows).map { _ in (0..<width).map { _ in Double(Int(next() * 4)) } }
        let input = try JSONSerialization.data(withJSONObject: ["scores": scores.map { $0.map(Double.init) }, "relevance": relevance, "k": k])
        let result = try PythonPeer.run([PythonPeer.script("sklearn_ndcg.py")], input: input)
        try #require(result.status == 0, "\(result.output)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [Double])
        for i in 0..<rows {
            #expect(abs(ListMetrics.ndcg(scores: scores[i], relevance: relevance[i], k: k) - reference[i]) < 1e-6, "row \(i)")
        }
    }
}
