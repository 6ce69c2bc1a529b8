import Foundation
import FunnelTensor
import Testing

/// Kernels split across threads compute what one thread computes, and dropout masks do not
/// depend on the thread count. The comparison runs in a child process because the thread count
/// is process-wide and other tests run concurrently.
@Suite struct ParallelTests {
    struct Outcome {
        var output: [Float]
        var gradients: [[Float]]
        var loss: Float
    }

    static func run(threads: Int) -> Outcome {
        Compute.setThreads(threads)
        var r = Random(4)
        let x = Parameter(r.tensor([1024, 48])), gamma = Parameter(r.tensor([48])), beta = Parameter(r.tensor([48]))
        let mean = Parameter(Tensor(zeros: [48]), isTrainable: false), variance = Parameter(Tensor(repeating: 1, shape: [48]), isTrainable: false)
        let g = Graph(mode: .training, seed: 5)
        let state = Graph.BatchNormState(gamma: g.parameter(gamma), beta: g.parameter(beta), runningMean: mean, runningVariance: variance)
        let h = g.fusedBlock(g.parameter(x), batchNorm: state, activation: .relu, dropout: 0.25)
        let logits = g.matmul(h, h, transposeB: true, scale: 0.01)
        // A product with few rows and many columns, which splits by columns across threads.
        let wide = g.matmul(h, g.constant(r.tensor([1024, 256])), transposeA: true)
        // A similarity softmax whose query blocks split across threads, each summing key gradients apart.
        let keys = g.matmul(g.constant(r.tensor([2048, 1024])), h, scale: 0.03)
        let similarity = g.productSoftmaxCrossEntropy(queries: h, keys: keys, scale: 0.1, targets: (0..<1024).map { Int32($0 * 2) })
        // DIN's attention, whose blocks of rows split across threads, each summing the weights' gradients apart.
        // Unnormalised scores: under a softmax the score bias's gradient is 0 and only rounding is left to compare.
        let history = Parameter(r.tensor([600, 8, 6])), target = Parameter(r.tensor([600, 6]))
        let attention = TargetAttentionFixture.shapes(d: 6, units: [16, 8]).map { Parameter(r.tensor($0)) }
        let network = TargetAttentionFixture.network(attention.map { g.parameter($0) }, activation: .sigmoid, softmax: false)
        let lengths = (0..<600).map { 1 + $0 % 8 }
        let weights = g.targetAttention(history: g.parameter(history), target: g.parameter(target), lengths: lengths, network: network)
        let loss = g.softmaxCrossEntropy(logits: logits, targets: (0..<1024).map { Int32($0 % 7) }) + wide.squared().mean() * 1e-3
            + similarity + (weights * g.constant(r.tensor([600, 8]))).sum()
        let output = h.value.scalars + weights.value.scalars
        g.backward(loss)
        var adam = Adam(learningRate: 0.01)
        let trained = [x, gamma, beta, history, target] + attention
        let gradients = trained.map { $0.gradient!.scalars }
        adam.step(trained)
        return Outcome(output: output, gradients: gradients + [x.value.scalars], loss: loss.value.scalar)
    }

    /// Describes every way two runs differ beyond rounding; empty when they agree.
    static func differences(_ one: Outcome, _ two: Outcome) -> [String] {
        var problems: [String] = []
        if one.output.map({ $0 == 0 }) != two.output.map({ $0 == 0 }) { problems.append("dropout masks differ") }
        if zip(one.output, two.output).contains(where: { abs($0 - $1) > 1e-5 * max(1, abs($0)) }) { problems.append("outputs differ") }
        if abs(one.loss - two.loss) > 1e-5 * abs(one.loss) { problems.append("losses \(one.loss) and \(two.loss) differ") }
        for (k, (ga, gb)) in zip(one.gradients, two.gradients).enumerated() {
            let scale = ga.map(abs).max() ?? 1
            if zip(ga, gb).contains(where: { abs($0 - $1) > 1e-4 * scale }) { problems.append("gradient or update \(k) differs") }
        }
        return problems
    }

    @Test func twoThreadsMatchOne() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let problems = ParallelTests.differences(ParallelTests.run(threads: 1), ParallelTests.run(threads: 2))
            if !problems.isEmpty {
                FileHandle.standardError.write(Data(problems.joined(separator: "; ").utf8))
                exit(1)
            }
        }
        if let result, !result.standardErrorContent.isEmpty {
            Issue.record(Comment(rawValue: String(decoding: result.standardErrorContent, as: UTF8.self)))
        }
    }
}
