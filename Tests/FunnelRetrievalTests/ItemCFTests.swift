import Foundation
import FunnelData
import FunnelEval
import FunnelRetrieval
import FunnelTestSupport
import Testing

@Suite struct ItemCFTests {
    /// u0 likes i0 (1) and i1 (2); u1 likes i0, i1, i2 (1 each); u2 likes i1 (1) and i2 (3).
    /// Item vectors over (u0, u1, u2): i0 = (1,1,0), i1 = (2,1,1), i2 = (0,1,3).
    static let matrix = InteractionMatrix(userCount: 3, itemCount: 3, entries: [
        (0, 0, 1), (0, 1, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (2, 1, 1), (2, 2, 3), (2, 0, -1), (2, 0, 1),
    ])

    @Test func matrixSumsRepeatsAndDropsNonPositivePairs() {
        #expect(Array(Self.matrix.items(of: 0).weights) == [1, 2])
        #expect(Array(Self.matrix.items(of: 2).items) == [1, 2], "u2's i0 events sum to 0 and are dropped")
        #expect(Array(Self.matrix.users(of: 1).users) == [0, 1, 2] && Array(Self.matrix.users(of: 1).weights) == [2, 1, 1])
    }

    @Test func cosineSimilaritiesByHand() {
        let sims = ItemCF.similarities(Self.matrix, k: 2)
        // sim(i0,i1) = 3/√12, sim(i0,i2) = 1/√20, sim(i1,i2) = 4/√60.
        let (s01, s02, s12) = (Float(3 / 12.0.squareRoot()), Float(1 / 20.0.squareRoot()), Float(4 / 60.0.squareRoot()))
        #expect(Array(sims.row(0).neighbours) == [1, 2] && zip(sims.row(0).scores, [s01, s02]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(Array(sims.row(2).neighbours) == [1, 0] && zip(sims.row(2).scores, [s12, s02]).allSatisfy { abs($0 - $1) < 1e-6 })
        let top1 = ItemCF.similarities(Self.matrix, k: 1)
        #expect(Array(top1.row(1).neighbours) == [0], "k keeps the best: sim(i1,i0) 0.866 > sim(i1,i2) 0.516")
        // score(u, i) = Σ_j like(u, j) · sim(j, i): a history of i0 with weight 2.
        let scores = ItemCF.scores(history: [(0, 2)], similarities: sims, itemCount: 3)
        #expect(scores[0] == 0 && abs(scores[1] - 2 * s01) < 1e-6 && abs(scores[2] - 2 * s02) < 1e-6)
    }

    /// The top-K heap keeps what a full sort keeps, ties to the smaller index, for many random rows.
    @Test func rowsMatchABruteForce() {
        var g = SplitMix64(seed: 9)
        var entries: [(user: Int32, item: Int32, weight: Float)] = []
        for _ in 0..<3_000 { entries.append((Int32(g.next() % 200), Int32(g.next() % 300), Float(1 + g.next() % 3))) }
        let m = InteractionMatrix(userCount: 200, itemCount: 300, entries: entries)
        let sims = ItemCF.similarities(m, k: 7)
        var dense = [[Float]](repeating: [Float](repeating: 0, count: 300), count: 300)
        for u in 0..<200 {
            let (items, weights) = m.items(of: u)
            for (i, wi) in zip(items, weights) { for (j, wj) in zip(items, weights) where i != j { dense[Int(i)][Int(j)] += wi * wj } }
        }
        let norms = (0..<300).map { m.users(of: $0).weights.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        for i in 0..<300 {
            let expected = (0..<300).filter { dense[i][$0] > 0 }.map { (Int32($0), dense[i][$0] / (norms[i] * norms[$0])) }
                .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }.prefix(7)
            let row = sims.row(i)
            #expect(Array(row.neighbours) == expected.map(\.0), "row \(i)")
            #expect(zip(row.scores, expected.map(\.1)).allSatisfy { abs($0 - $1) < 1e-5 }, "row \(i)")
        }
    }

    @Test(.enabled(if: TestData.movieLens100K != nil, "MovieLens-100K \(TestData.missingMessage)"))
    func beatsPopularityOnMovieLens() throws {
        let (interactions, users, items) = try EvaluationDataset.movieLens100K.load(from: DataDirectory.root)
        let popularity = BaselineEvaluation.popularity(.movieLens100K, interactions: interactions, userCount: users, itemCount: items)
        let itemCF = BaselineEvaluation.itemCF(.movieLens100K, interactions: interactions, userCount: users, itemCount: items)
        #expect(itemCF.fullHR10 > 1.15 * popularity.fullHR10, "full HR@10: ItemCF \(itemCF.fullHR10), popularity \(popularity.fullHR10)")
        #expect(itemCF.fullRecall50 > 1.2 * popularity.fullRecall50, "Recall@50: ItemCF \(itemCF.fullRecall50), popularity \(popularity.fullRecall50)")
        #expect(itemCF.sampledNDCG10 > popularity.sampledNDCG10)
    }
}
