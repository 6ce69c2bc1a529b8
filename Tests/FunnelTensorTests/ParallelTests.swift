import FunnelTensor
import Testing

/// Kernels split across threads compute what one thread computes, and dropout masks do not
/// depend on the thread count.
@Suite(.serialized) struct ParallelTests {
    struct Outcome {
        var output: [Float]
        var gradients: [[Float]]
        var loss: Float
    }

    func run(threads: Int) -> Outcome {
        Compute.setThreads(threads)
        defer { Compute.setThreads(1) }
        var r = Random(4)
        let x = Parameter(r.tensor([1024, 48])), gamma = Parameter(r.tensor([48])), beta = Parameter(r.tensor([48]))
        let mean = Parameter(Tensor(zeros: [48]), isTrainable: false), variance = Parameter(Tensor(repeating: 1, shape: [48]), isTrainable: false)
        let g = Graph(mode: .training, seed: 5)
        let state = Graph.BatchNormState(gamma: g.parameter(gamma), beta: g.parameter(beta), runningMean: mean, runningVariance: variance)
        let h = g.fusedBlock(g.parameter(x), batchNorm: state, activation: .relu, dropout: 0.25)
        let logits = g.matmul(h, h, transposeB: true, scale: 0.01)
        let loss = g.softmaxCrossEntropy(logits: logits, targets: (0..<1024).map { Int32($0 % 7) })
        let output = h.value.scalars
        g.backward(loss)
        var adam = Adam(learningRate: 0.01)
        let gradients = [x, gamma, beta].map { $0.gradient!.scalars }
        adam.step([x, gamma, beta])
        return Outcome(output: output, gradients: gradients + [x.value.scalars], loss: loss.value.scalar)
    }

    @Test func twoThreadsMatchOne() {
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one.output.map { $0 == 0 } == two.output.map { $0 == 0 }, "dropout masks differ")
        for (a, b) in zip(one.output, two.output) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a))) }
        #expect(abs(one.loss - two.loss) <= 1e-5 * abs(one.loss))
        for (ga, gb) in zip(one.gradients, two.gradients) {
            let scale = ga.map(abs).max() ?? 1
            for (a, b) in zip(ga, gb) { #expect(abs(a - b) <= 1e-4 * scale) }
        }
    }
}
