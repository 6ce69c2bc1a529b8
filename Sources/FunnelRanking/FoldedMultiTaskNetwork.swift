import FunnelTensor

/// A trained multi-task network prepared for serving raw features. The standardisation
/// (x − μ)/σ is folded into the layers that read the features, every expert's first layer and
/// every gate (`FeatureScaling.fold`), and those layers sit side by side in one
/// weight matrix: a batch costs one wide product where it cost a scaling pass, a narrow product
/// per expert and one for the gates.
struct FoldedMultiTaskNetwork: Sendable {
    let network: MultiTaskNetwork
    /// `[input, experts × units + tasks × experts]`, row-major, and its bias.
    private let weights: [Float]
    private let bias: [Float]
    private let input: Int
    private let units: Int

    init(_ network: MultiTaskNetwork, scaling: FeatureScaling) {
        self.network = network
        let layers = network.experts.map { $0.layers[0] } + network.gates
        input = scaling.width
        units = network.experts[0].layers[0].outputSize
        let total = layers.reduce(0) { $0 + $1.outputSize }
        var weights = [Float](repeating: 0, count: input * total), bias = [Float](repeating: 0, count: total)
        var column = 0
        for layer in layers {
            let n = layer.outputSize
            let folded = scaling.fold(weights: layer.weight.value.scalars, bias: layer.bias?.value.scalars ?? Array(repeating: 0, count: n))
            for i in 0..<input { weights.replaceSubrange((i * total + column)..<(i * total + column + n), with: folded.weights[(i * n)..<((i + 1) * n)]) }
            bias.replaceSubrange(column..<(column + n), with: folded.bias)
            column += n
        }
        (self.weights, self.bias) = (weights, bias)
    }

    /// The logits `[batch, tasks]` of raw feature rows (`x` is only read).
    func logits(_ x: Matrix, in workspace: Workspace) -> Matrix {
        let rows = x.rows, total = bias.count, experts = network.experts
        let y = workspace.matrix(rows: rows, columns: total)
        bias.withUnsafeBufferPointer { b in for r in 0..<rows { (y.base + r * total).update(from: b.baseAddress!, count: total) } }
        weights.withUnsafeBufferPointer { w in
            BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: total, k: input, a: x.base, b: w.baseAddress!, beta: 1, c: y.base)
        }
        /// Columns `start..<start + width` of every row of `y`, as a matrix of their own.
        func columns(_ start: Int, _ width: Int) -> Matrix {
            let m = workspace.matrix(rows: rows, columns: width)
            for r in 0..<rows { (m.base + r * width).update(from: y.base + r * total + start, count: width) }
            return m
        }
        let outputs = experts.enumerated().map { e, expert in
            var h = columns(e * units, units)
            expert.configuration.activation.apply(h)
            for layer in expert.layers.dropFirst() {
                h = layer.forward(h, in: workspace)
                expert.configuration.activation.apply(h)
            }
            return h
        }
        let gateColumns = total - experts.count * units
        let gates = gateColumns > 0 ? columns(experts.count * units, gateColumns) : nil
        gates?.softmax(groupsOf: experts.count)
        return network.logits(experts: outputs, gates: gates, in: workspace)
    }
}
