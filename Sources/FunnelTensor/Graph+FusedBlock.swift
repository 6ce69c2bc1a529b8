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
                    keep.update(repeating: 1, count: cols)
                    for r in range {
                        let xr = px.baseAddress! + r * cols, yr = y + r * cols
                        if dropping { mask.fill(keep, count: cols, seed: maskSeed, row: r) }
                        if relu {
                            for j in 0..<cols { yr[j] = max(xr[j] * pa[j] + pb[j], 0) * keep[j] }
                        } else {
                            for j in 0..<cols { yr[j] = (xr[j] * pa[j] + pb[j]) * keep[j] }
                        }
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

    /// Column means and biased variances of a `[rows, cols]` matrix (two passes, vectorised across
    /// columns, rows split across threads).
    static func columnMeanAndVariance(_ v: Tensor, mean: inout [Float], variance: inout [Float]) {
        let (rows, cols) = v.matrixShape
        v.scalars.withUnsafeBufferPointer { p in
            mean.withUnsafeMutableBufferPointer { m in
                variance.withUnsafeMutableBufferPointer { s in
                    columnSums(rows: rows, cols: cols, into: [m.baseAddress!]) { r, sums in
                        let x = p.baseAddress! + r * cols
                        for j in 0..<cols { sums[0][j] += x[j] }
                    }
                    for j in 0..<cols { m[j] /= Float(rows) }
                    columnSums(rows: rows, cols: cols, into: [s.baseAddress!]) { r, sums in
                        let x = p.baseAddress! + r * cols
                        for j in 0..<cols { let d = x[j] - m[j]; sums[0][j] += d * d }
                    }
                    for j in 0..<cols { s[j] /= Float(rows) }
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
        // dz: the gradient at the batch-norm output, before activation and dropout.
        var dz = Tensor(shape: vx.shape) { out, n in
            g.scalars.withUnsafeBufferPointer { pg in
                vy.scalars.withUnsafeBufferPointer { py in
                    if record.relu {
                        Compute.parallel(rows, minimumChunk: 128) { _, range in
                            Kernels.reluBackward(pg.baseAddress! + range.lowerBound * cols, py.baseAddress! + range.lowerBound * cols,
                                                 scale: record.keepScale, out + range.lowerBound * cols, count: range.count * cols)
                        }
                    } else if let (seed, mask) = record.dropoutMask {
                        let keep = ColumnScratch(count: cols, arrays: 1)
                        defer { keep.release() }
                        for r in 0..<rows {
                            mask.fill(keep[0], count: cols, seed: seed, row: r)
                            for j in 0..<cols { out[r * cols + j] = pg[r * cols + j] * keep[0][j] * record.keepScale }
                        }
                    } else {
                        let s = record.keepScale
                        for i in 0..<n { out[i] = pg[i] * s }
                    }
                }
            }
        }
        guard record.gamma >= 0 else {
            accumulate(record.input, dz)
            return
        }
        let columns = ColumnScratch(count: cols, arrays: 6)
        defer { columns.release() }
        let (mean, rstd, sumDz, sumDzXhat, c1, c3) = (columns[0], columns[1], columns[2], columns[3], columns[4], columns[5])
        mean.update(from: record.mean, count: cols)
        rstd.update(from: record.rstd, count: cols)
        sumDz.update(repeating: 0, count: cols)
        sumDzXhat.update(repeating: 0, count: cols)
        vx.scalars.withUnsafeBufferPointer { px in
            dz.scalars.withUnsafeBufferPointer { pd in
                Graph.columnSums(rows: rows, cols: cols, into: [sumDz, sumDzXhat]) { r, sums in
                    let xr = px.baseAddress! + r * cols, dr = pd.baseAddress! + r * cols
                    let (s0, s1) = (sums[0], sums[1])
                    for j in 0..<cols {
                        s0[j] += dr[j]
                        s1[j] += dr[j] * (xr[j] - mean[j]) * rstd[j]
                    }
                }
            }
        }
        if wants(record.input) {
            let n = Float(rows)
            values[record.gamma].scalars.withUnsafeBufferPointer { gamma in
                for j in 0..<cols {
                    c1[j] = gamma[j] * rstd[j]
                    c3[j] = sumDzXhat[j] / n * rstd[j]
                }
            }
            vx.scalars.withUnsafeBufferPointer { px in
                dz.scalars.withUnsafeMutableBufferPointer { pd in
                    Compute.parallel(rows, minimumChunk: 128) { _, range in
                        for r in range {
                            let xr = px.baseAddress! + r * cols, dr = pd.baseAddress! + r * cols
                            for j in 0..<cols {
                                // dx = γ·rstd · (dz − mean(dz) − x̂ · mean(dz·x̂))
                                dr[j] = c1[j] * (dr[j] - sumDz[j] / n - (xr[j] - mean[j]) * c3[j])
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
