/// Layer norm, batch norm and L2 normalisation.
extension Graph {
    /// Normalises each row over the last axis, then scales by `gamma` and shifts by `beta` (both `[features]`).
    public func layerNorm(_ x: Node, gamma: Node, beta: Node, epsilon: Float = 1e-5) -> Node {
        let v = x.value
        let (rows, cols) = v.matrixShape
        ensure(gamma.shape == [cols] && beta.shape == [cols],
                     "layerNorm: gamma \(gamma.shape) and beta \(beta.shape) must be [\(cols)] for input \(v.shape)")
        var normalized = Tensor(zeros: v.shape)
        var rstd = [Float](repeating: 0, count: rows)
        let vg = gamma.value, vb = beta.value
        let out = Tensor(shape: v.shape) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                normalized.scalars.withUnsafeMutableBufferPointer { xhat in
                    vg.scalars.withUnsafeBufferPointer { pg in
                        vb.scalars.withUnsafeBufferPointer { pb in
                            for r in 0..<rows {
                                let base = r * cols
                                var mean: Float = 0
                                for j in 0..<cols { mean += p[base + j] }
                                mean /= Float(cols)
                                var variance: Float = 0
                                for j in 0..<cols { let d = p[base + j] - mean; variance += d * d }
                                variance /= Float(cols)
                                let inv = 1 / (variance + epsilon).squareRoot()
                                rstd[r] = inv
                                for j in 0..<cols {
                                    let h = (p[base + j] - mean) * inv
                                    xhat[base + j] = h
                                    y[base + j] = h * pg[j] + pb[j]
                                }
                            }
                        }
                    }
                }
            }
        }
        return result(out, .layerNorm(x.id, gamma.id, beta.id, normalized, rstd), inputs: x.id, gamma.id, beta.id)
    }

    func layerNormBackward(_ x: Int, _ gamma: Int, _ beta: Int, _ xhat: Tensor, _ rstd: [Float], _ g: Tensor) {
        let (rows, cols) = xhat.matrixShape
        var dGamma = [Float](repeating: 0, count: cols), dBeta = [Float](repeating: 0, count: cols)
        let vg = values[gamma]
        let dx = Tensor(shape: xhat.shape) { out, _ in
            g.scalars.withUnsafeBufferPointer { pg in
                xhat.scalars.withUnsafeBufferPointer { ph in
                    vg.scalars.withUnsafeBufferPointer { pgam in
                        for r in 0..<rows {
                            let base = r * cols
                            var sumD: Float = 0, sumDH: Float = 0
                            for j in 0..<cols {
                                let gj = pg[base + j], hj = ph[base + j]
                                dGamma[j] += gj * hj
                                dBeta[j] += gj
                                let d = gj * pgam[j]
                                sumD += d; sumDH += d * hj
                            }
                            let meanD = sumD / Float(cols), meanDH = sumDH / Float(cols)
                            for j in 0..<cols {
                                let d = pg[base + j] * pgam[j]
                                out[base + j] = rstd[r] * (d - meanD - ph[base + j] * meanDH)
                            }
                        }
                    }
                }
            }
        }
        accumulate(x, dx)
        accumulate(gamma, Tensor(shape: [cols], scalars: dGamma))
        accumulate(beta, Tensor(shape: [cols], scalars: dBeta))
    }

    /// Batch normalisation of `[batch, features]`. In training (and in `.statistics` mode) it
    /// normalises with the batch's statistics and moves the running ones towards them; in
    /// inference it uses the running ones.
    public func batchNorm(_ x: Node, gamma: Node, beta: Node, runningMean: inout Tensor, runningVariance: inout Tensor,
                          momentum: Float = 0.1, epsilon: Float = 1e-5) -> Node {
        let v = x.value
        let (rows, cols) = v.matrixShape
        ensure(gamma.shape == [cols] && beta.shape == [cols] && runningMean.shape == [cols],
                     "batchNorm: parameters must be [\(cols)] for input \(v.shape)")
        let vg = gamma.value, vb = beta.value
        guard let momentum = runningStatisticsMomentum(momentum) else {
            let out = Tensor(shape: v.shape) { y, _ in
                let scale = (0..<cols).map { vg.scalars[$0] / (runningVariance.scalars[$0] + epsilon).squareRoot() }
                let shift = (0..<cols).map { vb.scalars[$0] - runningMean.scalars[$0] * scale[$0] }
                v.scalars.withUnsafeBufferPointer { p in
                    for r in 0..<rows {
                        let base = r * cols
                        for j in 0..<cols { y[base + j] = p[base + j] * scale[j] + shift[j] }
                    }
                }
            }
            return constant(out)
        }
        var mean = [Float](repeating: 0, count: cols), variance = [Float](repeating: 0, count: cols)
        Graph.columnMeanAndVariance(v, mean: &mean, variance: &variance)
        let rstd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var normalized = Tensor(zeros: v.shape)
        let out = Tensor(shape: v.shape) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                normalized.scalars.withUnsafeMutableBufferPointer { h in
                    for r in 0..<rows {
                        let base = r * cols
                        for j in 0..<cols {
                            let hj = (p[base + j] - mean[j]) * rstd[j]
                            h[base + j] = hj
                            y[base + j] = hj * vg.scalars[j] + vb.scalars[j]
                        }
                    }
                }
            }
        }
        let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
        for j in 0..<cols {
            runningMean.scalars[j] += momentum * (mean[j] - runningMean.scalars[j])
            runningVariance.scalars[j] += momentum * (variance[j] * unbias - runningVariance.scalars[j])
        }
        guard isTraining else { return constant(out) }
        return result(out, .batchNorm(x.id, gamma.id, beta.id, normalized, rstd), inputs: x.id, gamma.id, beta.id)
    }

    func batchNormBackward(_ x: Int, _ gamma: Int, _ beta: Int, _ xhat: Tensor, _ rstd: [Float], _ g: Tensor) {
        let (rows, cols) = xhat.matrixShape
        var dGamma = [Float](repeating: 0, count: cols), dBeta = [Float](repeating: 0, count: cols)
        g.scalars.withUnsafeBufferPointer { pg in
            xhat.scalars.withUnsafeBufferPointer { ph in
                for r in 0..<rows {
                    for j in 0..<cols {
                        dBeta[j] += pg[r * cols + j]
                        dGamma[j] += pg[r * cols + j] * ph[r * cols + j]
                    }
                }
            }
        }
        let vg = values[gamma]
        let n = Float(rows)
        let dx = Tensor(shape: xhat.shape) { out, _ in
            g.scalars.withUnsafeBufferPointer { pg in
                xhat.scalars.withUnsafeBufferPointer { ph in
                    for r in 0..<rows {
                        for j in 0..<cols {
                            let i = r * cols + j
                            // dx = γ·rstd/N · (N·g − Σg − x̂·Σ(g·x̂))
                            out[i] = vg.scalars[j] * rstd[j] / n * (n * pg[i] - dBeta[j] - ph[i] * dGamma[j])
                        }
                    }
                }
            }
        }
        accumulate(x, dx)
        accumulate(gamma, Tensor(shape: [cols], scalars: dGamma))
        accumulate(beta, Tensor(shape: [cols], scalars: dBeta))
    }

    /// Divides each row (over the last axis) by its L2 norm, floored at `epsilon`.
    public func l2Normalize(_ x: Node, epsilon: Float = 1e-12) -> Node {
        let v = x.value
        let (rows, cols) = v.matrixShape
        var norms = [Float](repeating: 0, count: rows)
        let out = Tensor(shape: v.shape) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                norms.withUnsafeMutableBufferPointer { norms in
                    Compute.parallel(rows, minimumChunk: Compute.minimumRows(columns: cols)) { _, range in
                        for r in range {
                            let x = p.baseAddress! + r * cols
                            let norm = max(Kernels.dot(x, x, count: cols).squareRoot(), epsilon)
                            norms[r] = norm
                            Kernels.scale(x, by: 1 / norm, into: y + r * cols, count: cols)
                        }
                    }
                }
            }
        }
        return result(out, .l2Normalize(x.id, norms, epsilon), inputs: x.id)
    }

    func l2NormalizeBackward(_ x: Int, _ y: Int, _ norms: [Float], _ epsilon: Float, _ g: Tensor) {
        let vy = values[y]
        let (rows, cols) = vy.matrixShape
        let dx = Tensor(shape: vy.shape) { out, _ in
            vy.scalars.withUnsafeBufferPointer { py in
                g.scalars.withUnsafeBufferPointer { pg in
                    Compute.parallel(rows, minimumChunk: Compute.minimumRows(columns: cols)) { _, range in
                        for r in range {
                            // dx = (g − y·(g·y)) / ‖x‖, or g / ε where the norm was clamped.
                            let (gr, yr, dx) = (pg.baseAddress! + r * cols, py.baseAddress! + r * cols, out + r * cols)
                            let inverse = 1 / norms[r]
                            Kernels.scale(gr, by: inverse, into: dx, count: cols)
                            if norms[r] > epsilon {
                                Kernels.addScaled(yr, scale: -Kernels.dot(gr, yr, count: cols) * inverse, into: dx, count: cols)
                            }
                        }
                    }
                }
            }
        }
        accumulate(x, dx)
    }
}

extension Node {
    public func l2Normalized(epsilon: Float = 1e-12) -> Node { graph.l2Normalize(self, epsilon: epsilon) }
}
