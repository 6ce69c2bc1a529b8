import FunnelTensor
import Testing

/// Re-estimating batch norm's running statistics with the weights fixed (`Graph.Mode.statistics`).
@Suite struct BatchNormStatisticsTests {
    /// Per column of `x`: the mean and the unbiased variance.
    static func columnStatistics(_ x: Tensor) -> (mean: [Float], variance: [Float]) {
        let (rows, cols) = x.matrixShape
        let mean = (0..<cols).map { j in (0..<rows).reduce(Float(0)) { $0 + x.scalars[$1 * cols + j] } / Float(rows) }
        let variance = (0..<cols).map { j in
            (0..<rows).reduce(Float(0)) { let d = x.scalars[$1 * cols + j] - mean[j]; return $0 + d * d } / Float(rows - 1)
        }
        return (mean, variance)
    }

    static func expectClose(_ a: [Float], _ b: [Float], _ what: String) {
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 * max(1, abs($1)) }, "\(what): \(a) vs \(b)")
    }

    /// Every activation (ReLU and identity take the fused path, the others the separate ops):
    /// the running statistics become the equal-weight average of the batches' own, whatever
    /// they held before, and no unit is dropped.
    @Test(arguments: Activation.allCases)
    func statisticsModeAveragesTheBatchesWithDropoutOff(_ activation: Activation) {
        var r = Random(5)
        let mlp = MLP(input: 3, .init(hiddenUnits: [4], activation: activation, dropout: 0.5, batchNorm: true), generator: &r.generator)
        let norm = mlp.norms[0]
        norm.runningMean.value = r.tensor([4])
        let batches = [r.tensor([5, 3]), r.tensor([5, 3])]
        let linear = batches.map { mlp.layers[0](Graph(mode: .inference).constant($0)).value }
        let statistics = linear.map(Self.columnStatistics)

        // Batch 0 twice with different dropout seeds: it replaces the statistics each time, and
        // its outputs must not differ. Then batch 1 is averaged in.
        let outputs = [1, 2].map { (seed: UInt64) in mlp(Graph(mode: .statistics(batch: 0), seed: seed).constant(batches[0])).value.scalars }
        _ = mlp(Graph(mode: .statistics(batch: 1)).constant(batches[1]))
        Self.expectClose(norm.runningMean.value.scalars, (0..<4).map { (statistics[0].mean[$0] + statistics[1].mean[$0]) / 2 }, "mean")
        Self.expectClose(norm.runningVariance.value.scalars,
                         (0..<4).map { (statistics[0].variance[$0] + statistics[1].variance[$0]) / 2 }, "variance")
        #expect(outputs[0] == outputs[1], "dropout must be off")
    }

    /// After one epoch over whole batches of equal size, the running mean is the mean of the
    /// layer's outputs over the training set under the final weights, not a trailing average.
    @Test func trainerReestimatesWithTheFinalWeights() {
        var r = Random(9)
        let mlp = MLP(input: 2, .init(hiddenUnits: [3], activation: .relu, dropout: 0.2, batchNorm: true), generator: &r.generator)
        let x = r.tensor([64, 2])
        let targets = r.tensor([64])
        var configuration = TrainingConfiguration(epochs: 1, batchSize: 16, learningRate: 0.05)
        configuration.batchNormStatisticsBatches = 4
        var optimizer = Adam(learningRate: configuration.learningRate)
        Trainer(configuration).fit(mlp, exampleCount: 64, optimizer: &optimizer,
            loss: { graph, rows in
                let batch = Tensor(shape: [rows.count, 2], scalars: rows.flatMap { [x.scalars[2 * $0], x.scalars[2 * $0 + 1]] })
                let prediction = mlp(graph.constant(batch)).sum(axis: 1)
                return graph.meanSquaredError(prediction, targets: Tensor(shape: [rows.count], scalars: rows.map { targets.scalars[$0] }))
            },
            validate: { 0 })
        let outputs = mlp.layers[0](Graph(mode: .inference).constant(x)).value
        Self.expectClose(mlp.norms[0].runningMean.value.scalars, Self.columnStatistics(outputs).mean, "mean")
    }
}
