/// Ops over sequences and sets of vectors with a length per row: masked softmax and pooling
/// (behaviour sequences, as in DIN), and weighted sums (attention pooling, mixtures of experts).
extension Graph {
    /// Softmax over the first `lengths[r]` entries of each row of `x` (read as a matrix over its
    /// last axis); the entries past a row's length, padding, come out 0 and get no gradient. A
    /// row of length 0 is all zeros.
    public func softmax(_ x: Node, lengths: [Int]) -> Node {
        let v = x.value
        let (rows, cols) = v.matrixShape
        ensure(lengths.count == rows && lengths.allSatisfy { $0 >= 0 && $0 <= cols },
               "softmax: \(lengths.count) lengths for \(rows) rows of \(cols), each in 0...\(cols)")
        let out = Tensor(shape: v.shape) { y, _ in
            y.update(repeating: 0, count: rows * cols)
            v.scalars.withUnsafeBufferPointer { p in
                for r in 0..<rows where lengths[r] > 0 {
                    let row = p.baseAddress! + r * cols, target = y + r * cols
                    let s = Kernels.expShifted(row, shift: Kernels.maximum(row, count: lengths[r]), target, count: lengths[r])
                    let inverse = 1 / s
                    for j in 0..<lengths[r] { target[j] *= inverse }
                }
            }
        }
        // The softmax gradient y ⊙ (g − Σ g⊙y) is already 0 where y is.
        return result(out, .softmax(x.id), inputs: x.id)
    }

    /// Pools the first `lengths[b]` steps of each sequence of `x` (`[batch, steps, d]`) into
    /// `[batch, d]`, by sum or mean; a sequence of length 0 pools to zeros.
    public func pool(_ x: Node, lengths: [Int], pooling: BagPooling) -> Node {
        let v = x.value
        ensure(v.rank == 3 && lengths.count == v.shape[0] && lengths.allSatisfy { $0 >= 0 && $0 <= v.shape[1] },
               "pool: needs [batch, steps, d] and a length in 0...steps per sequence, got \(v.shape) and \(lengths.count) lengths")
        let (batch, steps, d) = (v.shape[0], v.shape[1], v.shape[2])
        var out = Tensor(zeros: [batch, d])
        out.scalars.withUnsafeMutableBufferPointer { y in
            v.scalars.withUnsafeBufferPointer { p in
                for b in 0..<batch {
                    let scale = pooling.scale(forLength: lengths[b])
                    for t in 0..<lengths[b] {
                        let step = p.baseAddress! + (b * steps + t) * d
                        for j in 0..<d { y[b * d + j] += scale * step[j] }
                    }
                }
            }
        }
        return result(out, .pool(x.id, lengths, pooling), inputs: x.id)
    }

    func poolBackward(_ x: Int, _ lengths: [Int], _ pooling: BagPooling, _ g: Tensor) {
        let shape = values[x].shape
        let (steps, d) = (shape[1], shape[2])
        var dx = Tensor(zeros: shape)
        dx.scalars.withUnsafeMutableBufferPointer { out in
            g.scalars.withUnsafeBufferPointer { pg in
                for b in 0..<shape[0] {
                    let scale = pooling.scale(forLength: lengths[b])
                    for t in 0..<lengths[b] {
                        for j in 0..<d { out[(b * steps + t) * d + j] = scale * pg[b * d + j] }
                    }
                }
            }
        }
        accumulate(x, dx)
    }

    /// Σ_k weights[b, k] · values[b, k, :] for each row b: `values` `[batch, k, d]` and `weights`
    /// `[batch, k]` give `[batch, d]`. Attention pooling over a sequence, or a task's mixture of
    /// expert outputs under its gate, without one tiny matrix product per row.
    public func weightedSum(_ values: Node, weights: Node) -> Node {
        let v = values.value, w = weights.value
        ensure(v.rank == 3 && w.shape == [v.shape[0], v.shape[1]],
               "weightedSum: values [batch, k, d] and weights [batch, k] expected, got \(v.shape) and \(w.shape)")
        let (batch, k, d) = (v.shape[0], v.shape[1], v.shape[2])
        let out = Tensor(shape: [batch, d]) { y, _ in
            v.scalars.withUnsafeBufferPointer { pv in
                w.scalars.withUnsafeBufferPointer { pw in
                    y.update(repeating: 0, count: batch * d)
                    for b in 0..<batch {
                        for e in 0..<k {
                            Kernels.addScaled(pv.baseAddress! + (b * k + e) * d, scale: pw[b * k + e], into: y + b * d, count: d)
                        }
                    }
                }
            }
        }
        return result(out, .weightedSum(values.id, weights.id), inputs: values.id, weights.id)
    }

    func weightedSumBackward(_ valuesID: Int, _ weightsID: Int, _ g: Tensor) {
        let v = values[valuesID], w = values[weightsID]
        let (batch, k, d) = (v.shape[0], v.shape[1], v.shape[2])
        var dv = Tensor(zeros: v.shape), dw = Tensor(zeros: w.shape)
        g.scalars.withUnsafeBufferPointer { pg in
            v.scalars.withUnsafeBufferPointer { pv in
                w.scalars.withUnsafeBufferPointer { pw in
                    dv.scalars.withUnsafeMutableBufferPointer { ov in
                        dw.scalars.withUnsafeMutableBufferPointer { ow in
                            for b in 0..<batch {
                                let gb = pg.baseAddress! + b * d
                                for e in 0..<k {
                                    let row = (b * k + e) * d
                                    // d values = weight · g; d weight = ⟨value, g⟩.
                                    Kernels.addScaled(gb, scale: pw[b * k + e], into: ov.baseAddress! + row, count: d)
                                    ow[b * k + e] = Kernels.dot(pv.baseAddress! + row, gb, count: d)
                                }
                            }
                        }
                    }
                }
            }
        }
        accumulate(valuesID, dv)
        accumulate(weightsID, dw)
    }
}
