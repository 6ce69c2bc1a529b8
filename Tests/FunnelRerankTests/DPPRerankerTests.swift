import Foundation
import FunnelRerank
import FunnelStages
import FunnelTensor
import FunnelTesting
import Testing

@Suite struct DPPRerankerTests {
    @Test func passesTheContract() {
        RerankerContract.check(DPPReranker(theta: 0.7))
        RerankerContract.check(DPPReranker(theta: 0.3, window: 3))
    }

    /// The greedy MAP by determinants, as the paper states it: each slot goes to the candidate
    /// that maximises det L over the conditioning set (every placed item, or the last w − 1)
    /// and itself; once none adds a variance above ε, relevance orders the rest.
    static func bruteForce(relevance: [Double], n: Int, similarity: [[Double]], theta: Double, window: Int?, weight: Double) -> [Int] {
        let low = relevance.min()!, high = relevance.max()!
        let alpha = theta / (2 * (1 - theta))
        let q = relevance.map { exp(alpha * (high > low ? ($0 - low) / (high - low) : 1)) }
        func determinant(_ items: [Int]) -> Double {
            var a = items.map { i in items.map { j in q[i] * (i == j ? 1 : weight * similarity[i][j]) * q[j] } }
            var det = 1.0
            for c in a.indices {
                let pivot = (c..<a.count).max { abs(a[$0][c]) < abs(a[$1][c]) }!
                if pivot != c { a.swapAt(pivot, c); det = -det }
                guard a[c][c] != 0 else { return 0 }
                det *= a[c][c]
                for r in (c + 1)..<a.count {
                    let f = a[r][c] / a[c][c]
                    for k in c..<a.count { a[r][k] -= f * a[c][k] }
                }
            }
            return det
        }
        var placed: [Int] = []
        while placed.count < min(n, relevance.count) {
            let context = window.map { Array(placed.suffix($0 - 1)) } ?? placed
            let base = determinant(context)
            var best = -1, bestGain = -Double.infinity
            for i in relevance.indices where !placed.contains(i) {
                let gain = determinant(context + [i]) / base
                if gain > bestGain { (best, bestGain) = (i, gain) }
            }
            guard bestGain > 1e-10 * q[best] * q[best] else { break }
            placed.append(best)
        }
        let rest = relevance.indices.filter { !placed.contains($0) }.sorted { (relevance[$0], $1) > (relevance[$1], $0) }
        return placed + rest.prefix(min(n, relevance.count) - placed.count)
    }

    /// Small random cases (cosine similarity of random positive vectors, which is positive
    /// semi-definite; fewer dimensions than candidates, so some determinants run out) give the
    /// brute force's order, with and without a window.
    @Test(arguments: [nil, 2, 3, 4]) func matchesTheGreedyByDeterminants(window: Int?) {
        var generator = SeededGenerator(seed: 5)
        for trial in 0..<60 {
            let count = Int.random(in: 2...9, using: &generator), dimension = Int.random(in: 2...5, using: &generator)
            let vectors = (0..<count).map { _ -> [Double] in
                let v = (0..<dimension).map { _ in Double.random(in: 0...1, using: &generator) }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return v.map { $0 / norm }
            }
            let similarity = vectors.map { a in vectors.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
            let relevance = (0..<count).map { _ in Double.random(in: 0...1, using: &generator) }
            let theta = Double.random(in: 0...0.9, using: &generator), n = Int.random(in: 1...count, using: &generator)
            let weight = trial % 2 == 0 ? 1 : Double.random(in: 0...1, using: &generator)
            let fast = DPPReranker(theta: theta, window: window, similarityWeight: weight).order(relevance: relevance, n: n) { similarity[$0][$1] }
            let slow = Self.bruteForce(relevance: relevance, n: n, similarity: similarity, theta: theta, window: window, weight: weight)
            #expect(fast == slow, "trial \(trial): \(count) candidates in \(dimension) dimensions, θ \(theta), β \(weight), n \(n)")
        }
    }

    /// Two topics, the first more relevant: θ near 1 keeps the relevance order, a lower θ
    /// alternates the topics.
    @Test func thetaTradesRelevanceForDiversity() {
        let relevance = [1.0, 0.95, 0.9, 0.85, 0.5, 0.45]
        let topic = [0, 0, 0, 0, 1, 1]
        let similarity: (Int, Int) -> Double = { topic[$0] == topic[$1] ? 0.9 : 0 }
        #expect(DPPReranker(theta: 0.99).order(relevance: relevance, n: 4, similarity: similarity) == [0, 1, 2, 3])
        #expect(DPPReranker(theta: 0.5).order(relevance: relevance, n: 3, similarity: similarity) == [0, 4, 1])
    }

    /// Items of one category (similarity 1) make the kernel singular at β = 1: the second of
    /// them is never placed while another category remains, however relevant; below 1 it is.
    @Test func similarityWeightLetsACategoryRepeat() {
        let relevance = [1.0, 0.99, 0.1]
        let topic = [0, 0, 1]
        let similarity: (Int, Int) -> Double = { topic[$0] == topic[$1] ? 1 : 0 }
        #expect(DPPReranker(theta: 0.9, similarityWeight: 1).order(relevance: relevance, n: 2, similarity: similarity) == [0, 2])
        #expect(DPPReranker(theta: 0.9, similarityWeight: 0.5).order(relevance: relevance, n: 2, similarity: similarity) == [0, 1])
    }
}
