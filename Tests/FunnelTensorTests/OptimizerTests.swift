import Foundation
import FunnelTensor
import Testing

@Suite struct OptimizerTests {
    /// One Adam step by hand: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε).
    @Test func adamFirstStepMatchesHandComputation() {
        let p = Parameter(Tensor(shape: [3], scalars: [1, -2, 0.5]))
        p.accumulate(Tensor(shape: [3], scalars: [0.5, -4, 0]))
        var adam = Adam(learningRate: 0.1)
        adam.step([p])
        let expected: [Float] = [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8), 0.5]
        for (a, b) in zip(p.value.scalars, expected) { #expect(abs(a - b) < 1e-6) }
        #expect(p.gradient == nil && p.rowGradient == nil)
    }

    /// Eleven elements (eight lanes and a tail), three steps with an L2 penalty: each element
    /// follows Adam's formula computed here in Double.
    @Test func adamMatchesItsFormulaOnEveryLane() {
        let n = 11, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, l2 = 0.1
        var w = (0..<n).map { Double($0) / 4 - 1 }
        let p = Parameter(Tensor(shape: [n], scalars: w.map(Float.init)))
        var adam = Adam(learningRate: Float(lr), weightDecay: Float(l2))
        var (m, v) = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
        for t in 1...3 {
            let g = (0..<n).map { Double(($0 * 7 + t * 3) % 5) - 2 }
            p.accumulate(Tensor(shape: [n], scalars: g.map(Float.init)))
            adam.step([p])
            for i in 0..<n {
                let gi = g[i] + l2 * w[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mHat = m[i] / (1 - pow(b1, Double(t))), vHat = v[i] / (1 - pow(b2, Double(t)))
                w[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        for (a, b) in zip(p.value.scalars, w) { #expect(abs(Double(a) - b) < 1e-5) }
    }

    @Test func sgdMomentumMatchesHandComputation() {
        let p = Parameter(Tensor(shape: [1], scalars: [1]))
        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        p.accumulate(Tensor(shape: [1], scalars: [1])); sgd.step([p])   // v = 1, w = 0.9
        p.accumulate(Tensor(shape: [1], scalars: [1])); sgd.step([p])   // v = 1.9, w = 0.71
        #expect(abs(p.value.scalars[0] - 0.71) < 1e-6)
    }

    @Test func adagradMatchesHandComputation() {
        let p = Parameter(Tensor(shape: [1], scalars: [1]))
        var adagrad = Adagrad(learningRate: 0.5, epsilon: 0)
        p.accumulate(Tensor(shape: [1], scalars: [2])); adagrad.step([p])  // sum 4, w = 1 − 0.5·2/2
        p.accumulate(Tensor(shape: [1], scalars: [2])); adagrad.step([p])  // sum 8, w = 0.5 − 0.5·2/√8
        #expect(abs(p.value.scalars[0] - (0.5 - 1 / Float(8).squareRoot())) < 1e-6)
    }

    @Test func adamWDecaysWeightsWithoutGradient() {
        let p = Parameter(Tensor(shape: [2], scalars: [1, 1]))
        p.accumulate(Tensor(zeros: [2]))
        var adamW = Adam.adamW(learningRate: 0.1, weightDecay: 0.5)
        adamW.step([p])
        #expect(p.value.scalars == [0.95, 0.95])
    }

    /// Row updates equal dense updates on the touched rows and leave the other rows, and their
    /// optimizer state, untouched.
    @Test(arguments: ["sgd", "momentum", "adam", "adagrad"])
    func rowUpdatesMatchDenseUpdates(_ name: String) {
        func make() -> any Optimizer {
            switch name {
            case "sgd": SGD(learningRate: 0.1)
            case "momentum": SGD(learningRate: 0.1, momentum: 0.9)
            case "adam": Adam(learningRate: 0.1)
            default: Adagrad(learningRate: 0.1)
            }
        }
        var r = Random(3)
        let initial = r.tensor([6, 4])
        let dense = Parameter(initial), sparse = Parameter(initial, isEmbeddingTable: true)
        var denseOptimizer = make(), sparseOptimizer = make()
        for step in 0..<3 {
            let rows: [Int32] = step == 1 ? [1, 4, 1] : [1, 4]
            let values = r.tensor([rows.count, 4]).scalars
            var full = Tensor(zeros: [6, 4])
            for (k, row) in rows.enumerated() { for j in 0..<4 { full.scalars[Int(row) * 4 + j] += values[k * 4 + j] } }
            dense.accumulate(full)
            sparse.accumulateRows(rows, values)
            denseOptimizer.step([dense])
            sparseOptimizer.step([sparse])
        }
        for row in 0..<6 {
            let a = Array(sparse.value.scalars[(row * 4)..<(row * 4 + 4)])
            let touched = row == 1 || row == 4
            let b = touched ? Array(dense.value.scalars[(row * 4)..<(row * 4 + 4)]) : Array(initial.scalars[(row * 4)..<(row * 4 + 4)])
            for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-5, "row \(row)") }
        }
    }

    @Test func lazyL2PenaltyTouchesOnlyLookedUpRows() {
        let table = Parameter(Tensor(repeating: 1, shape: [3, 2]), isEmbeddingTable: true)
        table.l2Penalty = 0.5
        table.accumulateRows([2], [0, 0])
        var sgd = SGD(learningRate: 0.1)
        sgd.step([table])
        #expect(table.value.scalars == [1, 1, 1, 1, 0.95, 0.95])
    }

    /// A step writes the values where they are: it never copies a table (a parameter's value
    /// is observed, to drop its packed bfloat16 copy, and an observer must not cost a copy).
    @Test func stepsUpdateValuesInPlace() {
        let table = Parameter(Tensor(repeating: 1, shape: [1000, 4]), isEmbeddingTable: true)
        let dense = Parameter(Tensor(repeating: 1, shape: [8, 4]))
        func address(_ p: Parameter) -> UInt { p.value.scalars.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        let before = [address(table), address(dense)]
        table.accumulateRows([3], [1, 1, 1, 1])
        dense.accumulate(Tensor(repeating: 1, shape: [8, 4]))
        var adam = Adam(learningRate: 0.1)
        adam.step([table, dense])
        #expect([address(table), address(dense)] == before)
        #expect(table.value.scalars[12] < 1 && dense.value.scalars[0] < 1)
    }

    @Test func clippingScalesToTheGlobalNorm() {
        let a = Parameter(Tensor(zeros: [2])), b = Parameter(Tensor(zeros: [2, 1]), isEmbeddingTable: true)
        a.accumulate(Tensor(shape: [2], scalars: [3, 0]))
        b.accumulateRows([1, 1], [2, 2])  // coalesces to 4
        let norm = GradientClipping.clipByGlobalNorm([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(a.gradient!.scalars == [0.6, 0])
        #expect(b.rowGradient!.rows == [1] && abs(b.rowGradient!.values[0] - 0.8) < 1e-6)
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.constant.rate(at: 10, base: 0.1) == 0.1)
        #expect(abs(LearningRateSchedule.stepDecay(every: 10, factor: 0.5).rate(at: 25, base: 1) - 0.25) < 1e-7)
        let cosine = LearningRateSchedule.cosine(totalSteps: 100, minimum: 0)
        #expect(cosine.rate(at: 0, base: 1) == 1 && abs(cosine.rate(at: 50, base: 1) - 0.5) < 1e-6 && abs(cosine.rate(at: 100, base: 1)) < 1e-6)
        let warm = LearningRateSchedule.warmup(steps: 4, then: .constant)
        #expect(warm.rate(at: 0, base: 1) == 0.25 && warm.rate(at: 3, base: 1) == 1 && warm.rate(at: 9, base: 1) == 1)
    }

    /// A small MLP learns XOR, and the same seed gives bit-identical weights.
    @Test func trainingLearnsAndIsDeterministic() {
        func train() -> (MLP, Linear, Float) {
            var g = SeededGenerator(seed: 8)
            let body = MLP(input: 2, .init(hiddenUnits: [16], activation: .tanh), generator: &g)
            let head = Linear(input: 16, output: 1, generator: &g)
            var adam = Adam(learningRate: 0.05)
            let x = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
            let y: [Float] = [0, 1, 1, 0]
            var loss: Float = 0
            for _ in 0..<300 {
                let graph = Graph()
                let l = graph.binaryCrossEntropy(logits: head(body(graph.constant(x))).reshaped([4]), labels: y)
                graph.backward(l)
                adam.step(body.trainableParameters + head.trainableParameters)
                loss = l.value.scalar
            }
            return (body, head, loss)
        }
        let (bodyA, headA, loss) = train()
        let (bodyB, headB, _) = train()
        #expect(loss < 0.05)
        #expect(bodyA.namedParameters.map(\.parameter.value) == bodyB.namedParameters.map(\.parameter.value))
        #expect(headA.namedParameters.map(\.parameter.value) == headB.namedParameters.map(\.parameter.value))
    }

    @Test func inferenceGraphsRecordNothingAndSkipDropout() {
        var g = SeededGenerator(seed: 1)
        let mlp = MLP(input: 3, .init(hiddenUnits: [4], dropout: 0.5, batchNorm: true), generator: &g)
        let x = Tensor.randomNormal(shape: [5, 3], generator: &g)
        let first = mlp(Graph(mode: .inference).constant(x)).value
        let second = mlp(Graph(mode: .inference).constant(x)).value
        #expect(first == second)
    }
}

@Suite struct ComputeTests {
    /// A graph applies the reported thread count to OpenBLAS, which would otherwise use every core.
    @Test func blasUsesTheReportedThreadCount() async {
        await #expect(processExitsWith: .success) {
            _ = Graph(mode: .inference)
            if BLASLibrary.shared.threads != Compute.threads { exit(1) }
        }
    }
}
