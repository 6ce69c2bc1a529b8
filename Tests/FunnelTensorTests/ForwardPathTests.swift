import Foundation
import FunnelTensor
import Testing

/// The forward-only path gives the training graph's numbers (within 1e-5) from the same
/// weights, and reuses its memory.
@Suite struct ForwardPathTests {
    static func expectClose(_ a: [Float], _ b: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= 1e-5, "largest relative difference \(worst)", sourceLocation: sourceLocation)
    }

    @Test func linearOverConcatenatedPartsIsTheGraphsLinear() {
        var r = Random(3)
        let layer = Linear(input: 12, output: 5, generator: &r.generator)
        let a = r.tensor([7, 4]), b = r.tensor([7, 8])
        let graph = Graph(mode: .inference)
        let expected = layer(graph.concat([graph.constant(a), graph.constant(b)], axis: 1)).value.scalars
        let workspace = Workspace()
        let parts = [workspace.matrix(rows: 7, copying: a.scalars), workspace.matrix(rows: 7, copying: b.scalars)]
        Self.expectClose(layer.forward(parts, in: workspace).scalars, expected)
        let whole = workspace.matrix(rows: 7, copying: graph.concat([graph.constant(a), graph.constant(b)], axis: 1).value.scalars)
        Self.expectClose(layer.forward(whole, in: workspace).scalars, expected)
        let unbiased = Linear(input: 4, output: 3, bias: false, generator: &r.generator)
        Self.expectClose(unbiased.forward(parts[0], in: workspace).scalars, unbiased(graph.constant(a)).value.scalars)
    }

    /// Columns equal on every row enter through the bias; the product is the dense one whether
    /// none, some or all columns vary, and a strided block is read in place.
    @Test func servingLinearIsTheDenseProduct() {
        var r = Random(8)
        let (input, output) = (10, 7)
        let layer = Linear(input: input, output: output, generator: &r.generator)
        let serving = ServingLinear(weights: layer.weight.value.scalars, bias: layer.bias!.value.scalars)
        let workspace = Workspace()
        for rows in [1, 2, 9] {
            var x = r.tensor([rows, input]).scalars
            for row in 0..<rows {
                x[row * input + 2] = 0.75            // the same value on every row
                x[row * input + 5] = 0               // a one-hot column no row sets
                if rows > 1, row > 0 { x[row * input + 7] = x[7] }   // a column that varies on row 0 only
            }
            if rows == 9 { x[8 * input + 7] += 1 }
            let expected = layer.forward(workspace.matrix(rows: rows, copying: x), in: workspace).scalars
            x.withUnsafeBufferPointer { Self.expectClose(serving.forward($0.baseAddress!, rows: rows, in: workspace).scalars, expected) }
            let wide = workspace.matrix(rows: rows, columns: input + 3)
            for row in 0..<rows { for j in 0..<input { wide.base[row * (input + 3) + 1 + j] = x[row * input + j] } }
            Self.expectClose(layer.forward(rows: rows, wide.base + 1, stride: input + 3, in: workspace).scalars, expected)
        }
    }

    /// Every activation, with and without batch norm (running statistics moved off 0 and 1).
    @Test(arguments: Activation.allCases, [false, true])
    func mlpIsTheGraphsMLP(_ activation: Activation, _ batchNorm: Bool) {
        var r = Random(11)
        let mlp = MLP(input: 6, .init(hiddenUnits: [16, 8], activation: activation, dropout: 0.3, batchNorm: batchNorm), generator: &r.generator)
        for norm in mlp.norms {
            norm.runningMean.value = r.tensor(norm.runningMean.shape)
            norm.runningVariance.value = r.positive(norm.runningVariance.shape)
            norm.gamma.value = r.positive(norm.gamma.shape)
            norm.beta.value = r.tensor(norm.beta.shape)
        }
        let x = r.tensor([9, 6])
        let graph = Graph(mode: .inference)
        let expected = mlp(graph.constant(x)).value.scalars
        let workspace = Workspace()
        Self.expectClose(mlp.forward(workspace.matrix(rows: 9, copying: x.scalars), in: workspace).scalars, expected)
    }

    @Test func embeddingGatherAndPoolAreTheGraphs() {
        var r = Random(5)
        let table = Embedding(rows: 20, dimension: 3, standardDeviation: 1, generator: &r.generator)
        let ids = r.ids(8, below: 20)
        let graph = Graph(mode: .inference)
        let workspace = Workspace()
        // Two fields per row side by side, after one spare column.
        let fields = workspace.zeros(rows: 4, columns: 7)
        table.gather(ids, into: fields, column: 1)
        let expected = table(ids, shape: [4, 2], in: graph).reshaped([4, 6]).value.scalars
        Self.expectClose((0..<4).flatMap { Array(fields[row: $0].dropFirst()) }, expected)
        for pooling in [Graph.BagPooling.sum, .mean] {
            let offsets: [Int32] = [0, 3, 3, 8]   // the middle bag is empty
            let pooled = workspace.matrix(rows: 3, columns: 3)
            table.pool(ids, offsets: offsets, pooling: pooling, into: pooled)
            Self.expectClose(pooled.scalars, table.bag(ids, offsets: offsets, pooling: pooling, in: graph).value.scalars)
        }
    }

    @Test func softmaxAndNormalisationAreTheGraphs() {
        var r = Random(8)
        let x = r.tensor([5, 6])
        let graph = Graph(mode: .inference)
        let workspace = Workspace()
        let m = workspace.matrix(rows: 5, copying: x.scalars)
        m.softmax(groupsOf: m.columns)
        Self.expectClose(m.scalars, graph.constant(x).softmax().value.scalars)
        let n = workspace.matrix(rows: 5, copying: x.scalars)
        n.normalizeRows()
        Self.expectClose(n.scalars, graph.constant(x).l2Normalized().value.scalars)
    }

    /// After one use of a size, the same work fits the workspace without growing it, and
    /// matrices taken before a growth stay valid.
    @Test func workspaceStopsGrowingAfterFirstUse() {
        var r = Random(2)
        let mlp = MLP(input: 32, .init(hiddenUnits: [64, 64]), generator: &r.generator)
        let x = r.tensor([100, 32])
        let workspace = Workspace(capacity: 16)
        let first = workspace.matrix(rows: 100, copying: x.scalars)
        let out = mlp.forward(first, in: workspace).scalars
        #expect(first.scalars == x.scalars, "the input moved when the workspace grew")
        workspace.reset()
        let capacity = workspace.capacity
        for _ in 0..<3 {
            #expect(mlp.forward(workspace.matrix(rows: 100, copying: x.scalars), in: workspace).scalars == out)
            workspace.reset()
        }
        #expect(workspace.capacity == capacity)
        let borrowed = Workspace.borrow { mlp.forward($0.matrix(rows: 100, copying: x.scalars), in: $0).scalars }
        #expect(borrowed == out)
    }

    /// The mixture-of-experts pieces: gates side by side in one product, a softmax per group
    /// of columns, and each task's weighted sum of expert rows, against the graph's ops.
    @Test func mixtureOfExpertsIsTheGraphs() {
        var r = Random(21)
        let (rows, input, experts, units, tasks) = (13, 5, 3, 9, 2)
        let gates = (0..<tasks).map { _ in Linear(input: input, output: experts, generator: &r.generator) }
        let outputs = (0..<experts).map { _ in r.tensor([rows, units]) }
        let x = r.tensor([rows, input])
        let graph = Graph(mode: .inference)
        let stacked = graph.concat(outputs.map { graph.constant($0) }, axis: 1).reshaped([rows, experts, units])
        let workspace = Workspace()
        let weights = Linear.forward(sideBySide: gates, workspace.matrix(rows: rows, copying: x.scalars), in: workspace)
        weights.softmax(groupsOf: experts)
        let parts = outputs.map { workspace.matrix(rows: rows, copying: $0.scalars) }
        for (task, gate) in gates.enumerated() {
            let expected = graph.weightedSum(stacked, weights: gate(graph.constant(x)).softmax()).value.scalars
            Self.expectClose(Matrix.weightedSum(parts, weights: weights, column: task * experts, in: workspace).scalars, expected)
        }
    }
}
