import FunnelTensor

/// A trained multi-task network prepared for serving raw features. The standardisation
/// (x − μ)/σ is folded into the layers that read the features, every expert's first layer and
/// every gate (`FeatureScaling.fold`), and those layers sit side by side in one
/// `ServingLinear`: a batch costs one wide product, over the columns that vary between its
/// candidates, where it cost a scaling pass, a narrow product per expert and one for the gates.
/// Id columns' embeddings are laid beside the raw features and read unscaled.
struct FoldedMultiTaskNetwork: Sendable {
    let network: MultiTaskNetwork
    /// `[input, experts × units + tasks × experts]`: the experts' first layers, then the gates.
    private let first: ServingLinear
    private let units: Int
    /// The standardisation, for the personal gates' input.
    private let scaling: FeatureScaling

    init(_ network: MultiTaskNetwork, scaling: FeatureScaling) {
        self.network = network
        self.scaling = scaling
        let layers = network.experts.map { $0.layers[0] } + network.gates
        let embedded = network.embeddedWidth
        let scaling = FeatureScaling(mean: scaling.mean + Array(repeating: 0, count: embedded),
                                     deviation: scaling.deviation + Array(repeating: 1, count: embedded))
        let input = scaling.width
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
        first = ServingLinear(weights: weights, bias: bias)
    }

    /// The logits `[rows, tasks]` of `rows` rows of raw features from `x` (only read, `stride`
    /// values apart: the dense features first) and their id columns' embedding rows `slots`.
    func logits(_ x: UnsafePointer<Float>, rows: Int, stride: Int, slots: [Int32], in workspace: Workspace) -> Matrix {
        let experts = network.experts, units = units
        let input = network.ids == nil ? nil
            : network.input(rows: rows, x, stride: stride, dense: stride - network.slotsPerRow, slots: slots, in: workspace)
        let y = first.forward(input.map { UnsafePointer($0.base) } ?? x, rows: rows, in: workspace)
        let scales = network.personalScales(rows: rows, input.map { UnsafePointer($0.base) } ?? x, stride: input?.columns ?? stride,
                                            scaling: scaling, in: workspace)
        let total = first.output
        // Each expert's first hidden layer is a block of columns of y, used in place: activated
        // row by row, and read by the expert's next layer with y's row length as its stride.
        let outputs = experts.enumerated().map { e, expert in
            let activation = expert.configuration.activation
            for r in 0..<rows {
                let block = y.base + r * total + e * units
                activation.apply(block, count: units)
                if let scale = scales.first { for j in 0..<units { block[j] *= scale.base[r * units + j] } }
            }
            var h: Matrix
            if let second = expert.layers.dropFirst().first {
                h = second.forward(rows: rows, y.base + e * units, stride: total, in: workspace)
                activation.apply(h)
                if scales.count > 1 { h.multiply(by: scales[1]) }
            } else {
                h = columns(y, e * units, units, in: workspace)
            }
            for (i, layer) in expert.layers.enumerated().dropFirst(2) {
                h = layer.forward(h, in: workspace)
                activation.apply(h)
                if i < scales.count { h.multiply(by: scales[i]) }
            }
            return h
        }
        let gateColumns = total - experts.count * units
        let gates = gateColumns > 0 ? columns(y, experts.count * units, gateColumns, in: workspace) : nil
        gates?.softmax(groupsOf: experts.count)
        return network.logits(experts: outputs, gates: gates, in: workspace)
    }

    /// Columns `start..<start + width` of every row of `y`, as a matrix of their own.
    private func columns(_ y: Matrix, _ start: Int, _ width: Int, in workspace: Workspace) -> Matrix {
        let m = workspace.matrix(rows: y.rows, columns: width)
        for r in 0..<y.rows { (m.base + r * width).update(from: y.base + r * y.columns + start, count: width) }
        return m
    }
}
