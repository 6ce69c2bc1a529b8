import Foundation
import FunnelTensor
import Testing

/// Every differentiable op and loss, checked against finite differences on random shapes.
@Suite struct GradientTests {
    static let seeds: [UInt64] = [1, 2, 3]

    @Test(arguments: [Graph.BinaryOp.add, .subtract, .multiply, .divide], seeds)
    func binaryWithBroadcasting(_ op: Graph.BinaryOp, seed: UInt64) {
        var r = Random(seed)
        let (m, n, k) = (r.dim(), r.dim(), r.dim())
        let cases: [([Int], [Int])] = [([m, n], [m, n]), ([m, n], [n]), ([m, n], [m, 1]), ([m, n], [1]),
                                       ([n], [m, n]), ([k, 1, n], [m, 1]), ([1, m, 1], [k, 1, n]),
                                       ([k, m, n], [k, 1, n]), ([k, 1, n], [k, m, n])]
        for (sa, sb) in cases {
            let b = op == .divide ? r.positive(sb) : r.tensor(sb)
            expectGradientsMatch([r.tensor(sa), b]) { $0[0].graph.binary(op, $0[0], $0[1]) }
        }
    }

    @Test(arguments: Graph.UnaryOp.allCases, seeds)
    func unary(_ op: Graph.UnaryOp, seed: UInt64) {
        var r = Random(seed)
        let shape = [r.dim(), r.dim()]
        let x = (op == .log || op == .sqrt) ? r.positive(shape) : r.tensor(shape)
        expectGradientsMatch([x]) { $0[0].graph.unary(op, $0[0]) }
    }

    @Test(arguments: seeds)
    func affine(seed: UInt64) {
        var r = Random(seed)
        expectGradientsMatch([r.tensor([r.dim(), r.dim()])]) { $0[0] * 1.7 + 0.3 }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)], seeds)
    func matmul(_ transposes: (Bool, Bool), seed: UInt64) {
        var r = Random(seed)
        let (m, k, n) = (r.dim(), r.dim(), r.dim())
        let a = r.tensor(transposes.0 ? [k, m] : [m, k]), b = r.tensor(transposes.1 ? [n, k] : [k, n])
        expectGradientsMatch([a, b]) { $0[0].graph.matmul($0[0], $0[1], transposeA: transposes.0, transposeB: transposes.1, scale: 0.7) }
        // A rank-3 left operand is read as a matrix over its last axis.
        let a3 = r.tensor([2, m, k])
        expectGradientsMatch([a3, r.tensor(transposes.1 ? [n, k] : [k, n])]) { $0[0].graph.matmul($0[0], $0[1], transposeB: transposes.1) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)], seeds)
    func batchedMatmul(_ transposes: (Bool, Bool), seed: UInt64) {
        var r = Random(seed)
        let (batch, m, k, n) = (r.dim(1...3), r.dim(), r.dim(), r.dim())
        let a = r.tensor(transposes.0 ? [batch, k, m] : [batch, m, k]), b = r.tensor(transposes.1 ? [batch, n, k] : [batch, k, n])
        expectGradientsMatch([a, b]) { $0[0].graph.batchedMatmul($0[0], $0[1], transposeA: transposes.0, transposeB: transposes.1) }
    }

    @Test(arguments: seeds)
    func linear(seed: UInt64) {
        var r = Random(seed)
        let (m, k, n) = (r.dim(), r.dim(), r.dim())
        expectGradientsMatch([r.tensor([m, k]), r.tensor([k, n]), r.tensor([n])]) { $0[0].graph.linear($0[0], weight: $0[1], bias: $0[2]) }
        expectGradientsMatch([r.tensor([2, m, k]), r.tensor([k, n])]) { $0[0].graph.linear($0[0], weight: $0[1], bias: nil) }
    }

    @Test(arguments: seeds)
    func reductions(seed: UInt64) {
        var r = Random(seed)
        let shape = [r.dim(), r.dim(), r.dim()]
        for axis in [0, 1, 2, -1] {
            expectGradientsMatch([r.tensor(shape)]) { $0[0].sum(axis: axis) }
            expectGradientsMatch([r.tensor(shape)]) { $0[0].mean(axis: axis, keepingDimension: true) }
        }
        expectGradientsMatch([r.tensor(shape)]) { $0[0].sum() }
        expectGradientsMatch([r.tensor(shape)]) { $0[0].mean() }
    }

    @Test(arguments: seeds)
    func softmaxes(seed: UInt64) {
        var r = Random(seed)
        let shape = [r.dim(), r.dim(2...6)]
        expectGradientsMatch([r.tensor(shape)]) { $0[0].softmax() }
        expectGradientsMatch([r.tensor(shape)]) { $0[0].logSoftmax() }
    }

    @Test(arguments: seeds)
    func normalizations(seed: UInt64) {
        var r = Random(seed)
        let (m, n) = (r.dim(2...5), r.dim(2...5))
        expectGradientsMatch([r.tensor([m, n]), r.tensor([n]), r.tensor([n])]) { $0[0].graph.layerNorm($0[0], gamma: $0[1], beta: $0[2]) }
        var mean = Tensor(zeros: [n]), variance = Tensor(repeating: 1, shape: [n])
        expectGradientsMatch([r.tensor([m, n]), r.tensor([n]), r.tensor([n])]) {
            $0[0].graph.batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: &mean, runningVariance: &variance)
        }
        expectGradientsMatch([r.tensor([m, n])]) { $0[0].l2Normalized() }
    }

    /// Batch norm + activation + dropout as one op, in every combination it fuses.
    @Test(arguments: [Activation.relu, .identity, .tanh], [true, false])
    func fusedBlock(_ activation: Activation, batchNorm: Bool) {
        var r = Random(batchNorm ? 7 : 8)
        let (m, n) = (r.dim(3...6), r.dim(2...5))
        for rate: Float in [0, 0.3] {
            let mean = Parameter(Tensor(zeros: [n]), isTrainable: false), variance = Parameter(Tensor(repeating: 1, shape: [n]), isTrainable: false)
            expectGradientsMatch([r.tensor([m, n]), r.tensor([n]), r.tensor([n])]) { x in
                let state = batchNorm ? Graph.BatchNormState(gamma: x[1], beta: x[2], runningMean: mean, runningVariance: variance,
                                                             momentum: 0.1, epsilon: 1e-5) : nil
                // Without batch norm, gamma and beta join through a plain op so every input gets a gradient.
                let input = batchNorm ? x[0] : x[0] * x[1] + x[2]
                return x[0].graph.fusedBlock(input, batchNorm: state, activation: activation, dropout: rate)
            }
        }
    }

    /// The fused block over rows wider than a vector register (whole vectors and a tail).
    @Test(arguments: [Activation.relu, .identity])
    func fusedBlockOnWideRows(_ activation: Activation) {
        var r = Random(10)
        let (m, n) = (5, 19)
        let mean = Parameter(Tensor(zeros: [n]), isTrainable: false), variance = Parameter(Tensor(repeating: 1, shape: [n]), isTrainable: false)
        // A smaller step than the default: more elements mean more chances to cross a ReLU's kink.
        expectGradientsMatch([r.tensor([m, n]), r.tensor([n]), r.tensor([n])], epsilon: 4e-3, probes: 48) { x in
            let state = Graph.BatchNormState(gamma: x[1], beta: x[2], runningMean: mean, runningVariance: variance)
            return x[0].graph.fusedBlock(x[0], batchNorm: state, activation: activation, dropout: 0.3)
        }
    }

    /// a ⊙ b + c, alone and as a cross layer (x₀ ⊙ (x₀ W) + x₀, the input reaching the output
    /// three ways), on rows wider than a vector register.
    @Test(arguments: seeds)
    func multiplyAdd(seed: UInt64) {
        var r = Random(seed)
        let (m, n) = (r.dim(2...4), r.dim(9...20))
        expectGradientsMatch([r.tensor([m, n]), r.tensor([m, n]), r.tensor([m, n])]) { $0[0].graph.multiplyAdd($0[0], $0[1], $0[2]) }
        expectGradientsMatch([r.tensor([m, n]), r.tensor([n, n])]) { $0[0].graph.multiplyAdd($0[0], $0[0].graph.matmul($0[0], $0[1]), $0[0]) }
    }

    /// A linear layer over parts of its input equals the layer over their concatenation, in
    /// value and in every gradient.
    @Test func linearOverParts() {
        var r = Random(11)
        var generator = SeededGenerator(seed: 11)
        let layer = Linear(input: 7, output: 3, generator: &generator)
        let (a, b) = (r.tensor([4, 2]), r.tensor([4, 5]))
        expectGradientsMatch([a, b]) { layer($0) }
        func run(_ f: (Graph, Node, Node) -> Node) -> (value: [Float], gradients: [[Float]]) {
            layer.weight.gradient = nil
            layer.bias!.gradient = nil
            let g = Graph(mode: .training)
            let (pa, pb) = (Parameter(a), Parameter(b))
            let y = f(g, g.parameter(pa), g.parameter(pb))
            g.backward((y * y).sum())
            return (y.value.scalars, [pa, pb, layer.weight, layer.bias!].map { $0.gradient!.scalars })
        }
        let parts = run { _, x, y in layer([x, y]) }
        let whole = run { g, x, y in layer(g.concat([x, y], axis: 1)) }
        for (p, w) in zip([parts.value] + parts.gradients, [whole.value] + whole.gradients) {
            for (u, v) in zip(p, w) { #expect(abs(u - v) < 1e-5) }
        }
    }

    /// The fused block equals the separate ops it replaces, in training and in inference.
    @Test func fusedBlockMatchesSeparateOps() {
        var r = Random(9)
        let x = r.tensor([6, 4]), gamma = r.tensor([4]), beta = r.tensor([4])
        for mode in [Graph.Mode.training, .inference] {
            let stats = { (Parameter(Tensor(shape: [4], scalars: [0.1, 0.2, -0.1, 0]), isTrainable: false),
                           Parameter(Tensor(shape: [4], scalars: [1, 2, 0.5, 1.5]), isTrainable: false)) }
            let (m1, v1) = stats(), (m2, v2) = stats()
            let g1 = Graph(mode: mode), g2 = Graph(mode: mode)
            let fused = g1.fusedBlock(g1.constant(x), batchNorm: .init(gamma: g1.constant(gamma), beta: g1.constant(beta),
                                                                        runningMean: m1, runningVariance: v1, momentum: 0.1, epsilon: 1e-5),
                                      activation: .relu, dropout: 0).value
            let separate = g2.batchNorm(g2.constant(x), gamma: g2.constant(gamma), beta: g2.constant(beta),
                                        runningMean: &m2.value, runningVariance: &v2.value).relu().value
            for (a, b) in zip(fused.scalars, separate.scalars) { #expect(abs(a - b) < Float(1e-5), "\(mode)") }
            #expect(m1.value == m2.value && v1.value == v2.value)
        }
    }

    @Test(arguments: seeds)
    func shapes(seed: UInt64) {
        var r = Random(seed)
        let (a, b, c) = (r.dim(), r.dim(), r.dim())
        expectGradientsMatch([r.tensor([a, b, c])]) { $0[0].reshaped([a * b, c]) }
        for axis in 0..<3 {
            var s2 = [a, b, c]; s2[axis] = r.dim()
            expectGradientsMatch([r.tensor([a, b, c]), r.tensor(s2)]) { $0[0].graph.concat([$0[0], $0[1]], axis: axis) }
        }
        expectGradientsMatch([r.tensor([a, b + 2, c])]) { $0[0].slice(axis: 1, start: 1, length: b) }
        expectGradientsMatch([r.tensor([a, b + 1, c])]) { x in
            let parts = x[0].graph.split(x[0], axis: 1, sizes: [1, b])
            return parts[0] * 2 + parts[1].sum(axis: 1, keepingDimension: true)
        }
        expectGradientsMatch([r.tensor([a, b, c])]) { $0[0].transposed([2, 0, 1]) }
        expectGradientsMatch([r.tensor([a, b, c])]) { $0[0].graph.transposeLastTwo($0[0]) }
    }

    @Test(arguments: seeds, [false, true])
    func gather(seed: UInt64, sparse: Bool) {
        var r = Random(seed)
        let (rows, width) = (r.dim(3...8), r.dim())
        let ids = r.ids(7, below: rows)  // repeats exercise accumulation of duplicate rows
        expectGradientsMatch([r.tensor([rows, width])], sparse: sparse ? [0] : []) {
            $0[0].graph.gather($0[0], indices: ids, indexShape: [7])
        }
    }

    /// Item rows plus position rows in one lookup. With sparse tables the position table is small
    /// for its 30 indices (summed in place, its third row never touched) and the item table is not.
    @Test(arguments: seeds, [false, true])
    func gatherAdding(seed: UInt64, sparse: Bool) {
        var r = Random(seed)
        let width = r.dim()
        let ids = r.ids(30, below: 40), positions = r.ids(30, below: 2)
        expectGradientsMatch([r.tensor([40, width]), r.tensor([3, width])], sparse: sparse ? [0, 1] : []) {
            $0[0].graph.gather($0[0], indices: ids, adding: $0[1], at: positions, indexShape: [5, 6])
        }
    }

    @Test(arguments: [Graph.BagPooling.sum, .mean], [false, true])
    func embeddingBag(pooling: Graph.BagPooling, sparse: Bool) {
        var r = Random(pooling == .sum ? 5 : 6)
        let (rows, width) = (r.dim(3...8), r.dim())
        let ids = r.ids(9, below: rows)
        let offsets: [Int32] = [0, 2, 2, 6, 9]  // includes an empty bag
        expectGradientsMatch([r.tensor([rows, width])], sparse: sparse ? [0] : []) {
            $0[0].graph.embeddingBag($0[0], ids: ids, offsets: offsets, pooling: pooling)
        }
    }

    @Test(arguments: seeds)
    func similarities(seed: UInt64) {
        var r = Random(seed)
        let shape = [r.dim(), r.dim(2...6)]
        expectGradientsMatch([r.tensor(shape), r.tensor(shape)]) { $0[0].graph.dot($0[0], $0[1]) }
        expectGradientsMatch([r.tensor(shape), r.tensor(shape)]) { $0[0].graph.cosine($0[0], $0[1]) }
    }

    @Test(arguments: seeds)
    func dropoutAndMasking(seed: UInt64) {
        var r = Random(seed)
        let shape = [r.dim(2...5), r.dim(2...5)]
        expectGradientsMatch([r.tensor(shape)]) { $0[0].dropout(rate: 0.3) }
        let mask = r.tensor(shape).map { $0 > 0 ? 1 : 0 }
        expectGradientsMatch([r.tensor(shape)]) { $0[0].graph.masked($0[0], mask: mask, fill: -1e4).softmax() }
    }

    @Test(arguments: seeds)
    func losses(seed: UInt64) {
        var r = Random(seed)
        let (n, c, d) = (r.dim(2...6), r.dim(2...6), r.dim(2...6))
        let labels = (0..<n).map { _ in Float(r.dim(0...1)) }
        let weights = (0..<n).map { _ in Float(r.dim(1...3)) }
        expectGradientsMatch([r.tensor([n])]) { $0[0].graph.binaryCrossEntropy(logits: $0[0], labels: labels, weights: weights) }
        let targets = (0..<n).map { _ in Int32(r.dim(0...(c - 1))) }
        let correction = r.tensor([c])
        expectGradientsMatch([r.tensor([n, c])]) { $0[0].graph.softmaxCrossEntropy(logits: $0[0], targets: targets, correction: correction) }
        expectGradientsMatch([r.tensor([n, c])]) { $0[0].graph.softmaxCrossEntropy(logits: $0[0], targets: targets) }
        let target = r.tensor([n, c])
        expectGradientsMatch([r.tensor([n, c])]) { $0[0].graph.meanSquaredError($0[0], targets: target) }
        expectGradientsMatch([r.tensor([n, d]), r.tensor([n, d]), r.tensor([n, d])]) {
            $0[0].graph.tripletHinge(anchor: $0[0], positive: $0[1], negative: $0[2], margin: 0.5)
        }
        expectGradientsMatch([r.tensor([n, d]), r.tensor([n, d]), r.tensor([n, d])]) {
            $0[0].graph.tripletLogistic(anchor: $0[0], positive: $0[1], negative: $0[2], sharpness: 3)
        }
        expectGradientsMatch([r.tensor([n, d]), r.tensor([n, d])]) {
            $0[0].graph.infoNCE(queries: $0[0], keys: $0[1], temperature: 0.2)
        }
    }

    /// The similarity softmax against finite differences, with a correction per key or per
    /// logit, more keys than queries, and a scale.
    @Test(arguments: seeds)
    func productSoftmax(seed: UInt64) {
        var r = Random(seed)
        let (n, c, d) = (r.dim(2...6), r.dim(2...8), r.dim(2...6))
        let targets = (0..<n).map { _ in Int32(r.dim(0...(c - 1))) }
        for correction in [nil, r.tensor([c]), r.tensor([n, c])] {
            expectGradientsMatch([r.tensor([n, d]), r.tensor([c, d])]) {
                $0[0].graph.productSoftmaxCrossEntropy(queries: $0[0], keys: $0[1], scale: 0.7, targets: targets, correction: correction)
            }
        }
    }

    /// Every pointwise and pairwise product loss against finite differences, with keys masked
    /// out of some rows (−∞) and a correction that only masks for these kinds.
    @Test(arguments: seeds)
    func productLosses(seed: UInt64) {
        var r = Random(seed)
        let (n, c, d) = (r.dim(2...6), r.dim(3...8), r.dim(2...6))
        let targets = (0..<n).map { _ in Int32(r.dim(0...(c - 1))) }
        let masked = Tensor(shape: [n, c], scalars: (0..<(n * c)).map { i in
            i % c != Int(targets[i / c]) && (i * 7 + Int(seed)) % 5 == 0 ? -.infinity : 0.3 })
        let kinds: [ProductLoss] = [.binary, .cosine(margin: 0.1), .pairwiseLogistic, .pairwiseHinge(margin: 0.2)]
        for kind in kinds {
            for correction in [nil, masked] {
                expectGradientsMatch([r.tensor([n, d]), r.tensor([c, d])]) {
                    $0[0].graph.productLoss(kind, queries: $0[0], keys: $0[1], scale: 0.7, targets: targets, correction: correction)
                }
            }
        }
    }

    /// Each kind's value on one hand-computed row: logits z = (2, 0, −1) at scale 1, target 0.
    @Test func productLossValues() {
        let g = Graph(mode: .inference)
        let q = g.constant(Tensor(shape: [1, 1], scalars: [1])), k = g.constant(Tensor(shape: [3, 1], scalars: [2, 0, -1]))
        func loss(_ kind: ProductLoss, mask: Bool = false) -> Double {
            let correction = mask ? Tensor(shape: [3], scalars: [0, -.infinity, 0]) : nil
            return Double(g.productLoss(kind, queries: q, keys: k, targets: [0], correction: correction).value.scalar)
        }
        func softplus(_ x: Double) -> Double { Foundation.log(1 + Foundation.exp(x)) }
        #expect(abs(loss(.softmax) - (Foundation.log(Foundation.exp(2) + 1 + Foundation.exp(-1)) - 2)) < 1e-5)
        #expect(abs(loss(.binary) - (softplus(-2) + (softplus(0) + softplus(-1)) / 2)) < 1e-5)
        #expect(abs(loss(.binary, mask: true) - (softplus(-2) + softplus(-1))) < 1e-5)
        #expect(abs(loss(.pairwiseLogistic) - (softplus(-2) + softplus(-3)) / 2) < 1e-5)
        #expect(abs(loss(.pairwiseHinge(margin: 2.5)) - 0.5 / 2) < 1e-5)
        #expect(abs(loss(.cosine(margin: -0.5)) - (1 - 2 + 0.5 / 2)) < 1e-5)
    }

    /// A masked (−∞) or far-below logit gets a probability of exactly 0, never a subnormal,
    /// which later products would read about a hundred times slower.
    @Test func softmaxOfMaskedLogitsIsExactlyZero() {
        let g = Graph(mode: .inference)
        let logits = [Float](repeating: 0, count: 5) + [-.infinity, -90, -200] + [Float](repeating: 1, count: 9)
        let p = g.softmax(g.constant(Tensor(shape: [1, logits.count], scalars: logits))).value.scalars
        #expect(p[5...7].allSatisfy { $0 == 0 })
        #expect(p.allSatisfy { $0 == 0 || $0.isNormal })
    }

    /// With enough keys that the queries go in several blocks (the last one short), the fused
    /// loss and its gradients equal those of the product followed by the softmax.
    @Test func productSoftmaxInBlocksMatchesComposition() {
        var r = Random(8)
        let (n, c, d) = (150, 9_000, 8)
        let queries = r.tensor([n, d]), keys = r.tensor([c, d]), correction = r.tensor([c])
        let targets = r.ids(n, below: c)
        func run(fused: Bool) -> (loss: Float, queries: [Float], keys: [Float]) {
            let q = Parameter(queries), k = Parameter(keys)
            let g = Graph(mode: .training)
            let (nq, nk) = (g.parameter(q), g.parameter(k))
            let loss = fused
                ? g.productSoftmaxCrossEntropy(queries: nq, keys: nk, scale: 0.5, targets: targets, correction: correction)
                : g.softmaxCrossEntropy(logits: g.matmul(nq, nk, transposeB: true, scale: 0.5), targets: targets, correction: correction)
            g.backward(loss)
            return (loss.value.scalar, q.gradient!.scalars, k.gradient!.scalars)
        }
        let (fused, composed) = (run(fused: true), run(fused: false))
        #expect(abs(fused.loss - composed.loss) <= 1e-5 * abs(composed.loss))
        for (a, b) in [(fused.queries, composed.queries), (fused.keys, composed.keys)] {
            let largest = b.map(abs).max()!
            #expect(largest > 0)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * largest })
        }
    }

    /// Attention over a behaviour sequence as DIN scores it: a softmax over each row's real
    /// steps, pooling of the values under those weights, and masked mean/sum pooling.
    @Test(arguments: seeds)
    func maskedSequenceOps(seed: UInt64) {
        var r = Random(seed)
        let (batch, steps, d) = (r.dim(2...4), r.dim(3...6), r.dim(2...4))
        // One sequence empty, one full, the others partial.
        let lengths = (0..<batch).map { $0 == 0 ? 0 : $0 == 1 ? steps : r.dim(1...steps) }
        expectGradientsMatch([r.tensor([batch, steps])]) { $0[0].graph.softmax($0[0], lengths: lengths) }
        expectGradientsMatch([r.tensor([batch, steps, d]), r.tensor([batch, steps])]) {
            $0[0].graph.weightedSum($0[0], weights: $0[0].graph.softmax($0[1], lengths: lengths))
        }
        for pooling in [Graph.BagPooling.sum, .mean] {
            expectGradientsMatch([r.tensor([batch, steps, d])]) { $0[0].graph.pool($0[0], lengths: lengths, pooling: pooling) }
        }
    }

    /// A task's mixture of experts: a softmax gate over the input, weighting stacked expert outputs.
    @Test(arguments: seeds)
    func mixtureOfExperts(seed: UInt64) {
        var r = Random(seed)
        let (batch, input, experts, units) = (r.dim(2...5), r.dim(2...4), r.dim(2...4), r.dim(2...5))
        expectGradientsMatch([r.tensor([batch, input]), r.tensor([input, experts]), r.tensor([batch, experts, units])]) {
            let g = $0[0].graph
            return g.weightedSum($0[2], weights: g.matmul($0[0], $0[1]).softmax())
        }
    }

    /// Pairwise products of field vectors: FM's (the same node on both sides) and FiBiNet's
    /// bilinear (x · W against x).
    @Test(arguments: seeds)
    func pairwiseInteractions(seed: UInt64) {
        var r = Random(seed)
        let (batch, fields, d) = (r.dim(1...3), r.dim(2...5), r.dim(2...4))
        expectGradientsMatch([r.tensor([batch, fields, d])]) { $0[0].graph.pairwiseProducts($0[0], $0[0]) }
        expectGradientsMatch([r.tensor([batch, fields, d]), r.tensor([d, d])]) {
            $0[0].graph.pairwiseProducts($0[0].graph.matmul($0[0], $0[1]), $0[0]).sum(axis: 2)
        }
    }

    /// DIN's attention scores as one op: every input's gradient against central differences,
    /// with enough rows for several blocks, a row of length 0 and one of full length. Smooth
    /// activations only: a weight shared by two thousand steps crosses some ReLU kink under any
    /// finite step, so ReLU is checked against the separate ops below instead.
    @Test(arguments: [Activation.sigmoid, .tanh, .identity], [true, false])
    func targetAttention(activation: Activation, softmax: Bool) {
        var r = Random(11)
        let (steps, d) = (5, 3)
        let batch = 2 * 1024 / steps + 7   // three blocks
        let lengths = (0..<batch).map { $0 == 0 ? 0 : $0 == 1 ? steps : r.dim(1...steps) }
        let shapes = TargetAttentionFixture.shapes(d: d, units: [4, 3])
        expectGradientsMatch([r.tensor([batch, steps, d]), r.tensor([batch, d])] + shapes.map { r.tensor($0).map { $0 * 0.7 } }, probes: 12) {
            $0[0].graph.targetAttention(history: $0[0], target: $0[1], lengths: lengths,
                                        network: TargetAttentionFixture.network(Array($0[2...]), activation: activation, softmax: softmax))
        }
    }

    /// The op computes what the same network computes as separate ops, values and gradients.
    @Test(arguments: [Activation.sigmoid, .relu], [true, false])
    func targetAttentionMatchesSeparateOps(activation: Activation, softmax: Bool) {
        var r = Random(13)
        let (batch, steps, d) = (300, 7, 4)
        let lengths = (0..<batch).map { $0 % 9 == 0 ? 0 : r.dim(1...steps) }
        let shapes = TargetAttentionFixture.shapes(d: d, units: [6, 5])
        let inputs = [r.tensor([batch, steps, d]), r.tensor([batch, d])] + shapes.map { r.tensor($0) }
        let projection = r.tensor([batch, steps])
        func run(fused: Bool) -> [[Float]] {
            let parameters = inputs.map { Parameter($0) }
            let g = Graph(mode: .training)
            let nodes = parameters.map { g.parameter($0) }
            let network = TargetAttentionFixture.network(Array(nodes[2...]), activation: activation, softmax: softmax)
            let weights = fused
                ? g.targetAttention(history: nodes[0], target: nodes[1], lengths: lengths, network: network)
                : TargetAttentionFixture.separateOps(history: nodes[0], target: nodes[1], lengths: lengths, network: network)
            g.backward(weights, seed: projection)
            return [weights.value.scalars] + parameters.map { $0.gradient!.scalars }
        }
        for (k, (fused, separate)) in zip(run(fused: true), run(fused: false)).enumerated() {
            let largest = separate.map(abs).max() ?? 1
            #expect(zip(fused, separate).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, largest) }, "output or gradient \(k) differs")
        }
    }
}

/// A small attention network for the tests of `Graph.targetAttention`.
enum TargetAttentionFixture {
    /// Step weights and bias, candidate weights, one hidden layer's weight and bias, score weight and bias.
    static func shapes(d: Int, units: [Int]) -> [[Int]] {
        [[2 * d, units[0]], [units[0]], [d, units[0]], [units[0], units[1]], [units[1]], [units[1], 1], [1]]
    }

    static func network(_ p: [Node], activation: Activation, softmax: Bool) -> Graph.AttentionNetwork {
        Graph.AttentionNetwork(step: p[0], stepBias: p[1], candidate: p[2], hidden: [(p[3], p[4])], score: p[5], scoreBias: p[6],
                               activation: activation, softmax: softmax)
    }

    /// [h, h ⊙ t] · W + t · W_t + b, the hidden layer, the score, then the softmax or the mask.
    static func separateOps(history: Node, target: Node, lengths: [Int], network n: Graph.AttentionNetwork) -> Node {
        let g = history.graph
        let (batch, steps, d) = (history.shape[0], history.shape[1], history.shape[2])
        let units = n.step.shape[1]
        let x = g.concat([history, history * target.reshaped([batch, 1, d])], axis: 2).reshaped([batch * steps, 2 * d])
        let first = (g.linear(x, weight: n.step, bias: n.stepBias).reshaped([batch, steps, units])
            + g.matmul(target, n.candidate).reshaped([batch, 1, units])).reshaped([batch * steps, units])
        var h = n.activation(first)
        for layer in n.hidden { h = n.activation(g.linear(h, weight: layer.weight, bias: layer.bias)) }
        let scores = g.linear(h, weight: n.score, bias: n.scoreBias).reshaped([batch, steps])
        if n.softmax { return g.softmax(scores, lengths: lengths) }
        var mask = Tensor(zeros: [batch, steps])
        for (row, length) in lengths.enumerated() { for t in 0..<length { mask.scalars[row * steps + t] = 1 } }
        return g.masked(scores, mask: mask, fill: 0)
    }
}
