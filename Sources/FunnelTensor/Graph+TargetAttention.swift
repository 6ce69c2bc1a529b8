/// DIN's attention scores as one op. Each step h of a row's sequence is scored against the row's
/// candidate t by a small network, first layer [h, h ⊙ t] · W + t · W_t + b, and the scores
/// become pooling weights. As separate ops this built h ⊙ t, the broadcast sums and every
/// activation as tensors of `[rows · steps, units]` and passed over each several times, on one
/// thread. Here blocks of about a thousand steps go through the whole network while they are in
/// cache, the blocks are split across threads, h is read in place, and backward rebuilds h ⊙ t
/// per block instead of keeping it.
extension Graph {
    /// The scoring network's parameter nodes.
    public struct AttentionNetwork {
        /// `[2d, units₀]` over [h, h ⊙ t], and its bias `[units₀]`.
        public var step: Node, stepBias: Node
        /// `[d, units₀]` over t (no bias).
        public var candidate: Node
        /// Later hidden layers: weight `[units_{l−1}, units_l]` and bias `[units_l]`.
        public var hidden: [(weight: Node, bias: Node)]
        /// `[units_last, 1]` and `[1]`.
        public var score: Node, scoreBias: Node
        /// Identity, ReLU, tanh or sigmoid: activations whose derivative follows from their output.
        public var activation: Activation
        /// A softmax over each row's steps, or the scores as they are (0 past each length).
        public var softmax: Bool

        public init(step: Node, stepBias: Node, candidate: Node, hidden: [(weight: Node, bias: Node)], score: Node, scoreBias: Node,
                    activation: Activation, softmax: Bool) {
            (self.step, self.stepBias, self.candidate, self.hidden) = (step, stepBias, candidate, hidden)
            (self.score, self.scoreBias, self.activation, self.softmax) = (score, scoreBias, activation, softmax)
        }

        /// Whether the op can run this activation (GELU's derivative needs its input).
        public static func supports(_ activation: Activation) -> Bool { activation != .gelu }

        var layers: [(weight: Node, bias: Node)] { [(step, stepBias)] + hidden }
    }

    /// The pooling weight of each step of `history` (`[batch, steps, d]`) for `target`
    /// (`[batch, d]`): `[batch, steps]`, 0 past each row's length.
    public func targetAttention(history: Node, target: Node, lengths: [Int], network: AttentionNetwork) -> Node {
        let h = history.value, t = target.value
        ensure(h.rank == 3 && t.shape == [h.shape[0], h.shape[2]] && lengths.count == h.shape[0]
               && lengths.allSatisfy { $0 >= 0 && $0 <= h.shape[1] },
               "targetAttention: history [batch, steps, d], target [batch, d] and a length in 0...steps per row expected, got \(h.shape), \(t.shape) and \(lengths.count) lengths")
        let (batch, steps, d) = (h.shape[0], h.shape[1], h.shape[2])
        let layers = network.layers
        ensure(AttentionNetwork.supports(network.activation), "targetAttention: \(network.activation) is not supported")
        ensure(network.step.shape.count == 2 && network.step.shape[0] == 2 * d && network.candidate.shape == [d, network.step.shape[1]],
               "targetAttention: step weights [\(2 * d), units] and candidate weights [\(d), units] expected, got \(network.step.shape) and \(network.candidate.shape)")
        var width = 2 * d
        for layer in layers {
            ensure(layer.weight.shape.count == 2 && layer.weight.shape[0] == width && layer.bias.shape == [layer.weight.shape[1]],
                   "targetAttention: a layer over \(width) inputs expected, got weight \(layer.weight.shape) and bias \(layer.bias.shape)")
            width = layer.weight.shape[1]
        }
        ensure(network.score.shape == [width, 1] && network.scoreBias.shape == [1],
               "targetAttention: score weight [\(width), 1] and bias [1] expected, got \(network.score.shape) and \(network.scoreBias.shape)")

        let plan = AttentionPlan(batch: batch, steps: steps, d: d, units: layers.map { $0.weight.shape[1] })
        let parameters = layers.map(\.weight) + layers.map(\.bias) + [network.candidate, network.score, network.scoreBias]
        let buffers = AttentionBuffers(plan, parameters: parameters.map(\.value))
        let out = Tensor(shape: [batch, steps]) { weights, _ in
            h.scalars.withUnsafeBufferPointer { ph in
                t.scalars.withUnsafeBufferPointer { pt in
                    plan.forward(history: ph.baseAddress!, target: pt.baseAddress!, lengths: lengths, buffers: buffers,
                                 activation: network.activation, softmax: network.softmax, weights: weights)
                }
            }
        }
        let record = TargetAttentionRecord(history: history.id, target: target.id, lengths: lengths, parameters: parameters.map(\.id),
                                           activation: network.activation, softmax: network.softmax, plan: plan, buffers: buffers)
        return result(out, .targetAttention(record), inputList: [history.id, target.id] + parameters.map(\.id))
    }

    func targetAttentionBackward(_ r: TargetAttentionRecord, output: Int, _ g: Tensor) {
        let h = values[r.history], t = values[r.target]
        let plan = r.plan
        let gradients = UnsafeMutablePointer<Float>.allocate(capacity: plan.parameterCount)
        defer { gradients.deallocate() }
        var dTarget = Tensor(zeros: t.shape)
        func run(_ dHistory: UnsafeMutablePointer<Float>?, beta: Float) {
            h.scalars.withUnsafeBufferPointer { ph in
                t.scalars.withUnsafeBufferPointer { pt in
                    g.scalars.withUnsafeBufferPointer { pg in
                        values[output].scalars.withUnsafeBufferPointer { pw in
                            dTarget.scalars.withUnsafeMutableBufferPointer { dt in
                                plan.backward(history: ph.baseAddress!, target: pt.baseAddress!, lengths: r.lengths, buffers: r.buffers,
                                              activation: r.activation, softmax: r.softmax, weights: pw.baseAddress!, gradient: pg.baseAddress!,
                                              parameterGradients: gradients, history: dHistory, beta: beta, target: dt.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        if wants(r.history) { accumulate(r.history) { run($0, beta: $1) } } else { run(nil, beta: 0) }
        accumulate(r.target, dTarget)
        for (k, id) in r.parameters.enumerated() where wants(id) {
            accumulate(id, Tensor(shape: values[id].shape) { p, n in p.update(from: gradients + plan.offsets[k], count: n) })
        }
    }
}

struct TargetAttentionRecord {
    var history: Int, target: Int, lengths: [Int]
    /// In `AttentionPlan`'s parameter order.
    var parameters: [Int]
    var activation: Activation, softmax: Bool
    var plan: AttentionPlan
    var buffers: AttentionBuffers
}

/// What an attention op keeps from forward to backward: each layer's output after its activation
/// (`[batch · steps, units_l]`) and a packed copy of the parameters (small; read by every block).
final class AttentionBuffers {
    let activations: UnsafeMutablePointer<Float>
    let parameters: UnsafeMutablePointer<Float>

    init(_ plan: AttentionPlan, parameters values: [Tensor]) {
        activations = .allocate(capacity: plan.activationOffsets.last!)
        parameters = .allocate(capacity: plan.parameterCount)
        for (k, value) in values.enumerated() {
            value.scalars.withUnsafeBufferPointer { (parameters + plan.offsets[k]).initialize(from: $0.baseAddress!, count: $0.count) }
        }
    }

    deinit {
        activations.deallocate()
        parameters.deallocate()
    }
}

/// The shapes of one attention op and its blocked forward and backward passes.
struct AttentionPlan {
    let batch: Int, steps: Int, d: Int
    let units: [Int]

    /// The parameters' sizes and where each starts in a packed buffer, in this order: each layer's
    /// weight, each layer's bias, the candidate's weight, the score's weight and its bias.
    let sizes: [Int], offsets: [Int]
    /// Where each layer's activations start in the activations buffer (one more: the end).
    let activationOffsets: [Int]

    init(batch: Int, steps: Int, d: Int, units: [Int]) {
        (self.batch, self.steps, self.d, self.units) = (batch, steps, d, units)
        sizes = zip([2 * d] + units.dropLast(), units).map { $0 * $1 } + units + [d * units[0], units.last!, 1]
        offsets = sizes.reduce(into: [0]) { $0.append($0.last! + $1) }
        activationOffsets = units.reduce(into: [0]) { $0.append($0.last! + batch * steps * $1) }
    }

    var parameterCount: Int { offsets.last! }
    func weight(_ l: Int, in p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { p + offsets[l] }
    func bias(_ l: Int, in p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { p + offsets[units.count + l] }
    func candidate(in p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { p + offsets[2 * units.count] }
    func score(in p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { p + offsets[2 * units.count + 1] }
    func scoreBias(in p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { p + offsets[2 * units.count + 2] }
    /// Layer l's activations for the steps of rows from `row` on.
    func activations(_ l: Int, row: Int, in buffers: AttentionBuffers) -> UnsafeMutablePointer<Float> {
        buffers.activations + activationOffsets[l] + row * steps * units[l]
    }

    /// Rows per block: about 1,024 steps, so that a block's inputs and activations stay in cache.
    var rowsPerBlock: Int { max(1, 1024 / max(1, steps)) }
    var blocks: Int { (batch + rowsPerBlock - 1) / rowsPerBlock }
    var widest: Int { units.max() ?? 0 }

    /// h ⊙ t for the steps of rows `rows`, `[rows · steps, d]`; the h half of the layer's input is
    /// read where it is.
    func interactions(_ rows: Range<Int>, history: UnsafePointer<Float>, target: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        for b in rows {
            let tb = target + b * d
            for s in 0..<steps {
                let hs = history + (b * steps + s) * d, xs = x + ((b - rows.lowerBound) * steps + s) * d
                for j in 0..<d { xs[j] = hs[j] * tb[j] }
            }
        }
    }

    func forward(history: UnsafePointer<Float>, target: UnsafePointer<Float>, lengths: [Int], buffers: AttentionBuffers,
                 activation: Activation, softmax: Bool, weights: UnsafeMutablePointer<Float>) {
        let per = rowsPerBlock, p = buffers.parameters
        Compute.parallel(blocks, minimumChunk: 1) { _, range in
            let x = UnsafeMutablePointer<Float>.allocate(capacity: per * steps * d)
            let fromTarget = UnsafeMutablePointer<Float>.allocate(capacity: per * units[0])
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: per * steps)
            defer { x.deallocate(); fromTarget.deallocate(); scores.deallocate() }
            for block in range {
                let rows = block * per..<min(batch, block * per + per)
                let m = rows.count * steps
                interactions(rows, history: history, target: target, into: x)
                BLAS.gemm(transposeA: false, transposeB: false, m: rows.count, n: units[0], k: d,
                          a: target + rows.lowerBound * d, b: candidate(in: p), c: fromTarget)
                var input = UnsafePointer(x), width = d
                for (l, u) in units.enumerated() {
                    let a = activations(l, row: rows.lowerBound, in: buffers)
                    for r in 0..<m {
                        let row = a + r * u
                        row.update(from: bias(l, in: p), count: u)
                        if l == 0 { Kernels.addScaled(fromTarget + (r / steps) * u, scale: 1, into: row, count: u) }
                    }
                    if l == 0 {   // [h, h ⊙ t] · W as h · W_h + (h ⊙ t) · W_i
                        BLAS.gemm(transposeA: false, transposeB: false, m: m, n: u, k: d, a: history + rows.lowerBound * steps * d,
                                  b: weight(0, in: p), beta: 1, c: a)
                        BLAS.gemm(transposeA: false, transposeB: false, m: m, n: u, k: d, a: x, b: weight(0, in: p) + d * u, beta: 1, c: a)
                    } else {
                        BLAS.gemm(transposeA: false, transposeB: false, m: m, n: u, k: width, a: input, b: weight(l, in: p), beta: 1, c: a)
                    }
                    activation.apply(a, count: m * u)
                    (input, width) = (UnsafePointer(a), u)
                }
                let (w, b0) = (score(in: p), scoreBias(in: p)[0])
                for r in 0..<m { scores[r] = b0 + Kernels.dot(input + r * width, w, count: width) }
                for b in rows {
                    let o = weights + b * steps, row = scores + (b - rows.lowerBound) * steps, length = lengths[b]
                    o.update(repeating: 0, count: steps)
                    guard length > 0 else { continue }
                    if softmax {
                        let sum = Kernels.expShifted(row, shift: Kernels.maximum(row, count: length), o, count: length)
                        for s in 0..<length { o[s] /= sum }
                    } else {
                        o.update(from: row, count: length)
                    }
                }
            }
        }
    }

    /// Gradients for the upstream gradient `gradient` of the weights: the parameters' added into
    /// `parameterGradients` (in the order of `Pointers`: weights, biases, candidate, score, score
    /// bias), the history's written (β = 0) or added (β = 1) into `history` when given, and the
    /// target's added into `target`.
    func backward(history: UnsafePointer<Float>, target: UnsafePointer<Float>, lengths: [Int], buffers: AttentionBuffers,
                  activation: Activation, softmax: Bool, weights: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                  parameterGradients: UnsafeMutablePointer<Float>,
                  history dHistory: UnsafeMutablePointer<Float>?, beta: Float, target dTarget: UnsafeMutablePointer<Float>) {
        let per = rowsPerBlock, layers = units.count, p = buffers.parameters
        let chunks = Compute.chunkCount(blocks, minimumChunk: 1)
        // Each chunk sums its parameters' gradients on its own; they are added up at the end.
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: chunks * parameterCount)
        sums.initialize(repeating: 0, count: chunks * parameterCount)
        defer { sums.deallocate() }
        Compute.parallel(blocks, chunks: chunks) { chunk, range in
            let own = sums + chunk * parameterCount
            let x = UnsafeMutablePointer<Float>.allocate(capacity: per * steps * d)
            let dx = UnsafeMutablePointer<Float>.allocate(capacity: per * steps * 2 * d)
            let upper = UnsafeMutablePointer<Float>.allocate(capacity: per * steps * widest)
            let lower = UnsafeMutablePointer<Float>.allocate(capacity: per * steps * widest)
            let dScores = UnsafeMutablePointer<Float>.allocate(capacity: per * steps)
            let dFromTarget = UnsafeMutablePointer<Float>.allocate(capacity: per * units[0])
            defer { for q in [x, dx, upper, lower, dScores, dFromTarget] { q.deallocate() } }
            for block in range {
                let rows = block * per..<min(batch, block * per + per)
                let m = rows.count * steps
                // The scores' gradient: through the softmax, y ⊙ (g − Σ g ⊙ y), or the mask.
                for b in rows {
                    let y = weights + b * steps, gb = gradient + b * steps, o = dScores + (b - rows.lowerBound) * steps
                    o.update(repeating: 0, count: steps)
                    let length = lengths[b]
                    if softmax {
                        let s = Kernels.dot(gb, y, count: length)
                        for j in 0..<length { o[j] = y[j] * (gb[j] - s) }
                    } else {
                        o.update(from: gb, count: length)
                    }
                }
                // Score layer: d w = Aᵀ ds, d b = Σ ds, d A = ds · wᵀ.
                let last = units.last!, top = activations(layers - 1, row: rows.lowerBound, in: buffers), w = score(in: p)
                BLAS.gemm(transposeA: true, transposeB: false, m: last, n: 1, k: m, a: top, b: dScores, beta: 1, c: score(in: own))
                var scoreBiasGradient: Float = 0
                for r in 0..<m {
                    scoreBiasGradient += dScores[r]
                    let row = upper + r * last
                    for j in 0..<last { row[j] = dScores[r] * w[j] }
                }
                scoreBias(in: own)[0] += scoreBiasGradient
                // Down the layers; `upper` holds the gradient of layer l's output.
                var dOutput = upper, spare = lower
                for l in stride(from: layers - 1, through: 0, by: -1) {
                    let u = units[l], a = activations(l, row: rows.lowerBound, in: buffers)
                    Self.throughActivation(activation, output: a, gradient: dOutput, count: m * u)
                    let biasGradient = bias(l, in: own)
                    for r in 0..<m { Kernels.addScaled(dOutput + r * u, scale: 1, into: biasGradient, count: u) }
                    if l > 0 {
                        let below = activations(l - 1, row: rows.lowerBound, in: buffers)
                        BLAS.gemm(transposeA: true, transposeB: false, m: units[l - 1], n: u, k: m, a: below, b: dOutput, beta: 1, c: weight(l, in: own))
                        BLAS.gemm(transposeA: false, transposeB: true, m: m, n: units[l - 1], k: u, a: dOutput, b: weight(l, in: p), c: spare)
                        swap(&dOutput, &spare)
                    }
                }
                // First layer: step weights from h and h ⊙ t, the candidate's from t.
                let u = units[0]
                interactions(rows, history: history, target: target, into: x)
                BLAS.gemm(transposeA: true, transposeB: false, m: d, n: u, k: m, a: history + rows.lowerBound * steps * d, b: dOutput,
                          beta: 1, c: weight(0, in: own))
                BLAS.gemm(transposeA: true, transposeB: false, m: d, n: u, k: m, a: x, b: dOutput, beta: 1, c: weight(0, in: own) + d * u)
                for i in 0..<rows.count {
                    let o = dFromTarget + i * u
                    o.update(repeating: 0, count: u)
                    for s in 0..<steps { Kernels.addScaled(dOutput + (i * steps + s) * u, scale: 1, into: o, count: u) }
                }
                let targets = target + rows.lowerBound * d
                BLAS.gemm(transposeA: true, transposeB: false, m: d, n: u, k: rows.count, a: targets, b: dFromTarget, beta: 1, c: candidate(in: own))
                BLAS.gemm(transposeA: false, transposeB: true, m: rows.count, n: d, k: u, a: dFromTarget, b: candidate(in: p), beta: 1,
                          c: dTarget + rows.lowerBound * d)
                // [dh, d(h ⊙ t)] = dZ · Wᵀ; dh += d(h ⊙ t) ⊙ t and dt += Σ_s d(h ⊙ t) ⊙ h.
                BLAS.gemm(transposeA: false, transposeB: true, m: m, n: 2 * d, k: u, a: dOutput, b: weight(0, in: p), c: dx)
                for b in rows {
                    let tb = target + b * d, dtb = dTarget + b * d
                    for s in 0..<steps {
                        let index = b * steps + s
                        let hs = history + index * d, g = dx + ((b - rows.lowerBound) * steps + s) * 2 * d
                        for j in 0..<d {
                            dtb[j] += g[d + j] * hs[j]
                            g[j] += g[d + j] * tb[j]
                        }
                        if let dHistory {
                            let o = dHistory + index * d
                            if beta == 0 { o.update(from: g, count: d) } else { Kernels.addScaled(g, scale: 1, into: o, count: d) }
                        }
                    }
                }
            }
        }
        parameterGradients.update(from: sums, count: parameterCount)
        for chunk in 1..<max(1, chunks) {
            Kernels.addScaled(sums + chunk * parameterCount, scale: 1, into: parameterGradients, count: parameterCount)
        }
    }

    /// The gradient of an activation's input from its output's, in place.
    static func throughActivation(_ activation: Activation, output a: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count n: Int) {
        switch activation {
        case .identity: break
        case .relu: for i in 0..<n where a[i] <= 0 { g[i] = 0 }
        case .sigmoid: for i in 0..<n { g[i] *= a[i] * (1 - a[i]) }
        case .tanh: for i in 0..<n { g[i] *= 1 - a[i] * a[i] }
        case .gelu: preconditionFailure("targetAttention: GELU is not supported")
        }
    }
}
