import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct SwingTests {
    /// u0 {i0, i1}, u1 {i0, i1, i2}, u2 {i1, i2}, u3 {i1, i2, i3}.
    static let matrix = InteractionMatrix(userCount: 4, itemCount: 4, entries: [
        (0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (2, 1, 1), (2, 2, 1), (3, 1, 1), (3, 2, 1), (3, 3, 1),
    ])

    static func parameters(beta: Float, alpha1: Float) -> Swing.Parameters {
        var p = Swing.Parameters()
        (p.alpha, p.alpha1, p.beta) = (1, alpha1, beta)
        return p
    }

    @Test func similaritiesByHand() {
        // Unweighted (β = 0): sim(i1,i2) = 3 pairs of {u1,u2,u3}, each sharing {i1,i2}: 3 · 1/(1+2) = 1;
        // sim(i1,i0) = the pair {u0,u1} sharing {i0,i1}: 1/3; i2 and i3 share one user, so no pair.
        let plain = Swing.similarities(Self.matrix, Self.parameters(beta: 0, alpha1: 0))
        #expect(Array(plain.row(1).neighbours) == [2, 0])
        #expect(zip(plain.row(1).scores, [1, Float(1) / 3]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(Array(plain.row(3).neighbours).isEmpty)
        // β = 1, α₁ = 0: w = 1/|I_u| = (1/2, 1/3, 1/2, 1/3). sim(i1,i2) = (w1w2 + w1w3 + w2w3)/3 = 4/27; sim(i0,i1) = w0w1/3 = 1/18.
        let weighted = Swing.similarities(Self.matrix, Self.parameters(beta: 1, alpha1: 0))
        #expect(zip(weighted.row(2).scores, [Float(4) / 27, 1 / 18]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(Array(weighted.row(0).neighbours) == [1] && abs(weighted.row(0).scores.first! - Float(1) / 18) < 1e-6)
    }

    /// Against the formula evaluated literally (all user pairs, all item pairs) on random data.
    @Test func matchesTheFormulaOnRandomData() {
        var g = SplitMix64(seed: 5)
        var entries: [(user: Int32, item: Int32, weight: Float)] = []
        for _ in 0..<600 { entries.append((Int32(g.next() % 40), Int32(g.next() % 60), 1)) }
        let m = InteractionMatrix(userCount: 40, itemCount: 60, entries: entries)
        var p = Swing.Parameters()
        p.k = 1_000
        let sims = Swing.similarities(m, p)
        let itemSets = (0..<40).map { Set(m.items(of: $0).items) }
        let w = itemSets.map { pow(Float($0.count) + p.alpha1, -p.beta) }
        for i in 0..<60 {
            var expected = [Int32: Float]()
            for u in 0..<40 where itemSets[u].contains(Int32(i)) {
                for v in (u + 1)..<40 where itemSets[v].contains(Int32(i)) {
                    let common = itemSets[u].intersection(itemSets[v])
                    for j in common where j != Int32(i) { expected[j, default: 0] += w[u] * w[v] / (p.alpha + Float(common.count)) }
                }
            }
            let row = sims.row(i)
            #expect(Set(row.neighbours) == Set(expected.keys), "item \(i)")
            for (j, s) in zip(row.neighbours, row.scores) { #expect(abs(s - expected[j]!) < 1e-5 * max(1, expected[j]!)) }
        }
    }

    @Test func userSamplingIsBoundedAndRepeatable() {
        var g = SplitMix64(seed: 6)
        var entries: [(user: Int32, item: Int32, weight: Float)] = []
        for _ in 0..<4_000 { entries.append((Int32(g.next() % 300), Int32(g.next() % 20), 1)) }
        let m = InteractionMatrix(userCount: 300, itemCount: 20, entries: entries)
        var sampled = Swing.Parameters()
        sampled.maxUsersPerItem = 30
        let first = Swing.similarities(m, sampled), second = Swing.similarities(m, sampled)
        #expect(first == second)
        var all = sampled
        all.maxUsersPerItem = 10_000
        #expect(first != Swing.similarities(m, all), "sampling 30 of ~170 users per item changes the scores")
    }
}
