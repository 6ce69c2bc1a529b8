/// Batch norm, activation and dropout fused into one op: one pass over memory forward, two
/// backward, and no stored mask (for ReLU an output above zero means the element was kept).
extension Graph {
    /// The batch-norm inputs of a fused block.
    public struct BatchNormState {
        public var gamma: Node
        public var beta: Node
        /// Running statistics, updated in training and used in inference.
        public var runningMean: Parameter
        public var runningVariance: Parameter
        public var momentum: Float
        public var epsilon: Float

        public init(gamma: Node, beta: Node, runningMean: Parameter, runningVariance: Parameter, momentum: Float = 0.1, epsilon: Float = 1e-5) {
            self.gamma = gamma
            self.beta = beta
            self.runningMean = runningMean
            self.runningVariance = runningVariance
            self.momentum = momentum
            self.epsilon = epsilon
        }
    }

    /// y = dropout(activation(batchNorm(x))) over `[rows, features]`, with batch norm optional.
    /// Activations other than ReLU and identity run as separate ops.
    public func fusedBlock(_ x: Node, batchNorm: BatchNormState?, activation: Activation, dropout rate: Float) -> Node {
        guard activation == .relu || activation == .identity else {
            var h = x
            if let bn = batchNorm {
                h = self.batchNorm(h, gamma: bn.gamma, beta: bn.beta, runningMean: &bn.runningMean.value,
                                   runningVariance: &bn.runningVariance.value, momentum: bn.momentum, epsilon: bn.epsilon)
            }
            return activation(h).dropout(rate: rate)
        }
        let v = x.value
        let (rows, cols) = v.matrixShape
        let relu = activation == .relu
        let dropping = isTraining && rate > 0
        let keepScale: Float = dropping ? 1 / (1 - rate) : 1
        // Per-column affine map z = x · a + b that batch norm reduces to.
        var mean = [Float](repeating: 0, count: cols), rstd = [Float](repeating: 1, count: cols)
        var a = [Float](repeating: 1, count: cols), b = [Float](repeating: 0, count: cols)
        if let bn = batchNorm {
            ensure(bn.gamma.shape == [cols] && bn.beta.shape == [cols] && bn.runningMean.shape == [cols],
                         "fusedBlock: batch-norm parameters must be [\(cols)] for input \(v.shape)")
            let gamma = bn.gamma.value.scalars, beta = bn.beta.value.scalars
            if let momentum = runningStatisticsMomentum(bn.momentum) {
                var variance = [Float](repeating: 0, count: cols)
                Graph.columnMeanAndVariance(v, mean: &mean, variance: &variance)
                let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
                for j in 0..<cols {
                    rstd[j] = 1 / (variance[j] + bn.epsilon).squareRoot()
                    bn.runningMean.value.scalars[j] += momentum * (mean[j] - bn.runningMean.value.scalars[j])
                    bn.runningVariance.value.scalars[j] += momentum * (variance[j] * unbias - bn.runningVariance.value.scalars[j])
                }
            } else {
                mean = bn.runningMean.value.scalars
                rstd = bn.runningVariance.value.scalars.map { 1 / ($0 + bn.epsilon).squareRoot() }
            }
            for j in 0..<cols {
                a[j] = gamma[j] * rstd[j] * keepScale
                b[j] = (beta[j] - mean[j] * gamma[j] * rstd[j]) * keepScale
            }
        } else {
            for j in 0..<cols { a[j] = keepScale }
        }
        // Each row draws its mask from its own seed, so rows can run on any thread and the
        // backward pass can redraw a mask instead of storing it.
        let maskSeed = dropping ? generator.next() : 0
        let mask = DropoutMask(keep: 1 - rate)
        let chunks = Compute.chunkCount(rows, minimumChunk: 128)
        let columns = ColumnScratch(count: cols, arrays: 2 + chunks)
        defer { columns.release() }
        let (pa, pb) = (columns[0], columns[1])
        pa.update(from: a, count: cols)
        pb.update(from: b, count: cols)
        let out = Tensor(shape: v.shape) { y, _ in
            v.scalars.withUnsafeBufferPointer { px in
                Compute.parallel(rows, chunks: chunks) { chunk, range in
                    let keep = columns[2 + chunk]
                    for r in range {
                        if dropping { mask.fill(keep, count: cols, seed: maskSeed, row: r) }
                        Kernels.affineActivation(px.baseAddress! + r * cols, a: pa, b: pb, relu: relu,
                                                 keep: dropping ? UnsafePointer(keep) : nil, y + r * cols, count: cols)
                    }
                }
            }
        }
        guard isTraining else { return constant(out) }
        var inputs = [x.id]
        if let bn = batchNorm { inputs += [bn.gamma.id, bn.beta.id] }
        let record = FusedBlockRecord(input: x.id, gamma: batchNorm?.gamma.id ?? -1, beta: batchNorm?.beta.id ?? -1,
                                      mean: mean, rstd: rstd, relu: relu, keepScale: keepScale,
                                      dropoutMask: dropping && !relu ? (maskSeed, mask) : nil)
        return result(out, .fusedBlock(record), inputList: inputs)
    }

    /// Column means and biased variances of a `[rows, cols]` matrix, in one pass over sums
    /// shifted by the first row (vectorised across columns, rows split across threads).
    static func columnMeanAndVariance(_ v: Tensor, mean: inout [Float], variance: inout [Float]) {
        let (rows, cols) = v.matrixShape
        guard rows > 0 else { return }
        v.scalars.withUnsafeBufferPointer { p in
            mean.withUnsafeMutableBufferPointer { m in
                variance.withUnsafeMutableBufferPointer { s in
                    let shift = p.baseAddress!
                    columnSums(rows: rows, cols: cols, into: [m.baseAddress!, s.baseAddress!]) { r, sums in
                        Kernels.addShiftedMoments(shift + r * cols, shift: shift, sum: sums[0], sumOfSquares: sums[1], count: cols)
                    }
                    for j in 0..<cols {
                        let d = m[j] / Float(rows)
                        m[j] = shift[j] + d
                        s[j] = max(s[j] / Float(rows) - d * d, 0)
                    }
                }
            }
        }
    }

    /// Accumulates per-column sums over rows, split across threads: `add(row, sums)` adds one
    /// row into each of the `outputs.count` column-sum arrays; partial sums are combined at the end.
    static func columnSums(rows: Int, cols: Int, into outputs: [UnsafeMutablePointer<Float>],
                           _ add: (Int, [UnsafeMutablePointer<Float>]) -> Void) {
        let chunks = Compute.chunkCount(rows, minimumChunk: 128)
        let partials = ColumnScratch(count: cols, arrays: chunks * outputs.count)
        defer { partials.release() }
        partials.base.update(repeating: 0, count: cols * chunks * outputs.count)
        Compute.parallel(rows, chunks: chunks) { chunk, range in
            let sums = (0..<outputs.count).map { partials[chunk * outputs.count + $0] }
            for r in range { add(r, sums) }
        }
        for (k, out) in outputs.enumerated() {
            out.update(repeating: 0, count: cols)
            for chunk in 0..<chunks {
                let part = partials[chunk * outputs.count + k]
                for j in 0..<cols { out[j] += part[j] }
            }
        }
    }

    func fusedBlockBackward(_ record: FusedBlockRecord, output: Int, _ g: Tensor) {
        let vx = values[record.input], vy = values[output]
        let (rows, cols) = vx.matrixShape
        let hasBatchNorm = record.gamma >= 0
        let columns = ColumnScratch(count: cols, arrays: 6)
        defer { columns.release() }
        let (mean, rstd, sumDz, sumDzXhat, c1, c3) = (columns[0], columns[1], columns[2], columns[3], columns[4], columns[5])
        if hasBatchNorm {
            mean.update(from: record.mean, count: cols)
            rstd.update(from: record.rstd, count: cols)
        }
        // dz: the gradient at the batch-norm output, before activation and dropout; with batch
        // norm, its column sums are gathered in the same pass over the rows.
        var dz = Tensor(shape: vx.shape) { out, _ in
            g.scalars.withUnsafeBufferPointer { pg in
                vy.scalars.withUnsafeBufferPointer { py in
                    vx.scalars.withUnsafeBufferPointer { px in
                        /// Row `r` of dz.
                        func gradient(_ r: Int) {
                            let gr = pg.baseAddress! + r * cols, dr = out + r * cols
                            if record.relu {
                                Kernels.reluBackward(gr, py.baseAddress! + r * cols, scale: record.keepScale, dr, count: cols)
                            } else if let (seed, mask) = record.dropoutMask {
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { keep in
                                    mask.fill(keep.baseAddress!, count: cols, seed: seed, row: r)
                                    for j in 0..<cols { dr[j] = gr[j] * keep[j] * record.keepScale }
                                }
                            } else {
                                Kernels.scale(gr, by: record.keepScale, into: dr, count: cols)
                            }
                        }
                        if hasBatchNorm {
                            Graph.columnSums(rows: rows, cols: cols, into: [sumDz, sumDzXhat]) { r, sums in
                                gradient(r)
                                Kernels.addNormalizedGradientSums(out + r * cols, px.baseAddress! + r * cols, mean: mean, rstd: rstd,
                                                                  sumDz: sums[0], sumDzXhat: sums[1], count: cols)
                            }
                        } else {
                            Compute.parallel(rows, minimumChunk: 128) { _, range in range.forEach(gradient) }
                        }
                    }
                }
            }
        }
        guard hasBatchNorm else {
            accumulate(record.input, dz)
            return
        }
        if wants(record.input) {
            let n = Float(rows)
            values[record.gamma].scalars.withUnsafeBufferPointer { gamma in
                for j in 0..<cols {
                    c1[j] = gamma[j] * rstd[j]
                    c3[j] = sumDzXhat[j] / n * rstd[j]
                }
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { meanDz in
                for j in 0..<cols { meanDz[j] = sumDz[j] / n }
                vx.scalars.withUnsafeBufferPointer { px in
                    dz.scalars.withUnsafeMutableBufferPointer { pd in
                        Compute.parallel(rows, minimumChunk: 128) { _, range in
                            for r in range {
                                // dx = γ·rstd · (dz − mean(dz) − x̂ · mean(dz·x̂))
                                Kernels.batchNormInputGradient(pd.baseAddress! + r * cols, px.baseAddress! + r * cols, mean: mean,
                                                               meanDz: meanDz.baseAddress!, c1: c1, c3: c3, count: cols)
                            }
                        }
                    }
                }
            }
            accumulate(record.input, dz)
        }
        let dGamma = Array(UnsafeBufferPointer(start: sumDzXhat, count: cols))
        let dBeta = Array(UnsafeBufferPointer(start: sumDz, count: cols))
        accumulate(record.gamma, Tensor(shape: [cols], scalars: dGamma))
        accumulate(record.beta, Tensor(shape: [cols], scalars: dBeta))
    }
}
/// Per-column scratch arrays as raw pointers, so inner loops over columns vectorise.
struct ColumnScratch {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, arrays: Int) {
        self.count = count
        base = .allocate(capacity: max(1, count * arrays))
    }

    subscript(index: Int) -> UnsafeMutablePointer<Float> { base + index * count }

    func release() { base.deallocate() }
}

/// What the backward pass of a fused block needs.
struct FusedBlockRecord {
    var input: Int
    var gamma: Int
    var beta: Int
    var mean: [Float]
    var rstd: [Float]
    var relu: Bool
    var keepScale: Float
    /// The seed and rate that drew the mask, so backward redraws it instead of storing it.
    var dropoutMask: (UInt64, DropoutMask)?
}
