import Foundation
import FunnelTensor
import Testing

/// Forward values of the ops against naive reference computations.
@Suite struct ForwardTests {
    func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        for (x, y) in zip(a, b) {
            #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(x) vs \(y)", sourceLocation: sourceLocation)
        }
    }

    @Test func matmulMatchesNaiveProduct() {
        var r = Random(1)
        let a = r.tensor([5, 7]), b = r.tensor([7, 3])
        let g = Graph(mode: .inference)
        var expected = [Float](repeating: 0, count: 15)
        for i in 0..<5 { for j in 0..<3 { for k in 0..<7 { expected[i * 3 + j] += a[i, k] * b[k, j] } } }
        close(g.matmul(g.constant(a), g.constant(b)).value.scalars, expected)
        // Transposed operands give the same product.
        let at = g.transpose(g.constant(a), [1, 0]), bt = g.transpose(g.constant(b), [1, 0])
        close(g.matmul(at, bt, transposeA: true, transposeB: true).value.scalars, expected)
        let batched = g.batchedMatmul(g.constant(a.reshaped([1, 5, 7])), g.constant(b.reshaped([1, 7, 3])))
        close(batched.value.scalars, expected)
        let linear = g.linear(g.constant(a), weight: g.constant(b), bias: g.constant(Tensor(shape: [3], scalars: [1, 2, 3])))
        close(linear.value.scalars, expected.enumerated().map { $1 + Float($0 % 3 + 1) })
    }

    @Test func broadcastingFollowsNumPy() {
        let g = Graph(mode: .inference)
        let a = g.constant(Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6]))
        let b = g.constant(Tensor(shape: [2, 1], scalars: [10, 20]))
        let sum = a + b
        #expect(sum.shape == [2, 2, 3])
        #expect(sum.value.scalars == [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        #expect((a * g.constant(Tensor(2))).value.scalars == [2, 4, 6, 8, 10, 12])
        // A row's vector over each step of its sequence, both ways round.
        let steps = g.constant(Tensor(shape: [2, 2, 3], scalars: (1...12).map(Float.init)))
        let rows = g.constant(Tensor(shape: [2, 1, 3], scalars: [0, 10, 20, 30, 40, 50]))
        #expect((steps + rows).value.scalars == [1, 12, 23, 4, 15, 26, 37, 48, 59, 40, 51, 62])
        #expect((rows - steps).value.scalars == [-1, 8, 17, -4, 5, 14, 23, 32, 41, 20, 29, 38])
    }

    /// The vector sigmoid, over a range wide enough to saturate both ends, against the formula
    /// in double precision.
    @Test func sigmoidMatchesReference() {
        let x = (0..<1001).map { Float($0 - 500) * 0.2 }
        let y = Graph(mode: .inference).constant(Tensor(shape: [1001], scalars: x)).sigmoid().value.scalars
        close(y, x.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }, tolerance: 1e-6)
    }

    @Test func reductionsAndShapes() {
        let g = Graph(mode: .inference)
        let x = g.constant(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(x.sum(axis: 0).value.scalars == [5, 7, 9])
        #expect(x.sum(axis: 1, keepingDimension: true).value == Tensor(shape: [2, 1], scalars: [6, 15]))
        #expect(x.mean().value.scalar == 3.5)
        #expect(x.transposed([1, 0]).value.scalars == [1, 4, 2, 5, 3, 6])
        #expect(g.concat([x, x], axis: 1).value.scalars == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        #expect(x.slice(axis: 1, start: 1, length: 2).value.scalars == [2, 3, 5, 6])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
    }

    /// The vectorised exponential inside softmax agrees with the C library across the float range.
    @Test func softmaxMatchesReference() {
        var values: [Float] = []
        var x: Float = -90
        while x < 90 { values.append(x); x += 0.173 }
        let g = Graph(mode: .inference)
        for row in stride(from: 0, to: values.count - 13, by: 13) {
            let logits = Array(values[row..<(row + 13)])
            let m = logits.max()!
            let e = logits.map { Foundation.exp(Double($0 - m)) }
            let s = e.reduce(0, +)
            let out = g.softmax(g.constant(Tensor(shape: [13], scalars: logits))).value.scalars
            for (got, want) in zip(out, e.map { Float($0 / s) }) where want > 1e-30 {
                #expect(abs(got - want) <= 2e-6 * want, "\(got) vs \(want)")
            }
            let logOut = g.logSoftmax(g.constant(Tensor(shape: [13], scalars: logits))).value.scalars
            close(logOut, logits.map { Float(Double($0 - m) - Foundation.log(s)) }, tolerance: 1e-5)
        }
    }

    @Test func normalizations() {
        let g = Graph(mode: .inference)
        var r = Random(2)
        let x = g.constant(r.tensor([4, 6]))
        let y = g.layerNorm(x, gamma: g.constant(Tensor(repeating: 1, shape: [6])), beta: g.constant(Tensor(zeros: [6]))).value
        for row in 0..<4 {
            let v = Array(y.scalars[(row * 6)..<(row * 6 + 6)])
            let mean = v.reduce(0, +) / 6
            #expect(abs(mean) < 1e-5 && abs(v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6 - 1) < 1e-3)
        }
        let n = x.l2Normalized().value
        for row in 0..<4 {
            let squares: Float = n.scalars[(row * 6)..<(row * 6 + 6)].map { $0 * $0 }.reduce(0, +)
            #expect(abs(squares - 1) < 1e-5)
        }
        let a = g.constant(Tensor(shape: [1, 2], scalars: [3, 4])), b = g.constant(Tensor(shape: [1, 2], scalars: [4, 3]))
        #expect(abs(g.cosine(a, b).value.scalar - 24 / 25) < 1e-6)
        #expect(g.dot(a, b).value.scalar == 24)
    }

    @Test func lookups() {
        let g = Graph(mode: .inference)
        let table = g.constant(Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(g.gather(table, indices: [2, 0, 2]).value.scalars == [5, 6, 1, 2, 5, 6])
        let grid = g.gather(table, indices: IndexTensor(shape: [2, 2], scalars: [0, 1, 2, 0]))
        #expect(grid.shape == [2, 2, 2] && grid.value.scalars == [1, 2, 3, 4, 5, 6, 1, 2])
        let bags = g.embeddingBag(table, ids: [0, 1, 2, 2], offsets: [0, 3, 3, 4], pooling: .mean)
        #expect(bags.value.scalars == [3, 4, 0, 0, 5, 6])
    }

    @Test func lossesByHand() {
        let g = Graph(mode: .inference)
        let z = g.constant(Tensor(shape: [2], scalars: [0, 2]))
        let bce = g.binaryCrossEntropy(logits: z, labels: [1, 0], weights: [1, 3]).value.scalar
        let expected = (Foundation.log(2.0) + 3 * Foundation.log(1 + Foundation.exp(2.0))) / 2
        #expect(abs(Double(bce) - expected) < 1e-5)
        let logits = g.constant(Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        let ce = g.softmaxCrossEntropy(logits: logits, targets: [0]).value.scalar
        let lse = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))
        #expect(abs(Double(ce) - (lse - 1)) < 1e-5)
        // A correction of −log q moves the logits: here it makes the target the largest.
        let corrected = g.softmaxCrossEntropy(logits: logits, targets: [0], correction: Tensor(shape: [3], scalars: [10, 0, 0])).value.scalar
        #expect(corrected < 0.01)
        let mse = g.meanSquaredError(g.constant(Tensor(shape: [2], scalars: [1, 3])), targets: Tensor(shape: [2], scalars: [0, 0])).value.scalar
        #expect(mse == 5)
    }

    @Test func dropoutKeepsTheExpectedFraction() {
        let g = Graph(mode: .training, seed: 3)
        let y = g.constant(Tensor(repeating: 1, shape: [100_000])).dropout(rate: 0.3).value.scalars
        let kept = y.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / 100_000 - 0.7) < 0.01)
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 })
        #expect(abs(y.reduce(0, +) / 100_000 - 1) < 0.02)
    }

    /// The fused block's per-row masks: the kept fraction is 1 − rate, and no row repeats
    /// another's draws (equal at about 0.7² + 0.3² of positions, however shifted).
    @Test func fusedBlockMasksKeepTheExpectedFractionAndDifferByRow() {
        let g = Graph(mode: .training, seed: 4)
        let (rows, cols) = (1_000, 66)
        let y = g.fusedBlock(g.constant(Tensor(repeating: 1, shape: [rows, cols])), batchNorm: nil, activation: .identity, dropout: 0.3).value.scalars
        let kept = y.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / Double(rows * cols) - 0.7) < 0.01)
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 })
        for shift in [0, 4, 8] {
            var equal = 0
            for r in 0..<(rows - 1) {
                for j in 0..<(cols - shift) where (y[r * cols + j + shift] != 0) == (y[(r + 1) * cols + j] != 0) { equal += 1 }
            }
            let share = Double(equal) / Double((rows - 1) * (cols - shift))
            #expect(abs(share - 0.58) < 0.02, "rows r and r + 1 shifted by \(shift) agree at \(share) of positions")
        }
    }

    /// The sequence and interaction ops against hand-computed values.
    @Test func sequenceAndInteractionValues() {
        let g = Graph(mode: .inference)
        let scores = g.constant(Tensor(shape: [2, 3], scalars: [0, log(3), 5, 1, 1, 1]))
        close(g.softmax(scores, lengths: [2, 0]).value.scalars, [0.25, 0.75, 0, 0, 0, 0])
        let values = g.constant(Tensor(shape: [1, 3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        close(g.weightedSum(values, weights: g.constant(Tensor(shape: [1, 3], scalars: [0.5, 0.5, 0]))).value.scalars, [2, 3])
        close(g.pool(values, lengths: [2], pooling: .mean).value.scalars, [2, 3])
        close(g.pool(values, lengths: [3], pooling: .sum).value.scalars, [9, 12])
        // Fields (1,2), (3,4), (5,6): pairs (0,1), (0,2), (1,2).
        close(g.pairwiseProducts(values, values).value.scalars, [3, 8, 5, 12, 15, 24])
    }
}
