import Foundation

/// Softmax cross-entropy over similarity logits (scale · Q Kᵀ), the loss of in-batch and
/// sampled softmax retrieval, without the `[queries, keys]` logits in memory.
///
/// Queries go in blocks whose logits fit in cache. For each block the product, the softmax
/// and, when training, the gradients of Q and K (for a unit upstream gradient) are computed
/// while the block is hot; backward then only scales them. Composed from `matmul` and
/// `softmaxCrossEntropy`, a batch of 1,024 writes, reads and packs three 4 MiB matrices.
extension Graph {
    /// The mean over queries of −log softmax(scale · q_i Kᵀ + correction)[targets[i]].
    /// `correction` (shape `[keys]` or `[queries, keys]`) is added to the scaled logits: pass
    /// −log q for the logQ correction of sampled softmax. Equal to
    /// `softmaxCrossEntropy(logits: matmul(queries, keys, transposeB: true, scale: scale), …)`.
    public func productSoftmaxCrossEntropy(queries: Node, keys: Node, scale: Float = 1, targets: [Int32],
                                           correction: Tensor? = nil) -> Node {
        let q = queries.value, k = keys.value
        ensure(q.rank == 2 && k.rank == 2 && q.shape[1] == k.shape[1],
               "productSoftmaxCrossEntropy: queries \(q.shape) and keys \(k.shape) must be matrices of one width")
        let (rows, cols, width) = (q.shape[0], k.shape[0], q.shape[1])
        ensure(targets.count == rows, "productSoftmaxCrossEntropy: \(targets.count) targets for \(rows) queries")
        for t in targets {
            ensure(t >= 0 && Int(t) < cols, "productSoftmaxCrossEntropy: target \(t) out of range for \(cols) keys")
        }
        if let correction {
            ensure(correction.shape == [cols] || correction.shape == [rows, cols],
                   "productSoftmaxCrossEntropy: correction \(correction.shape) fits neither [\(cols)] nor [\(rows), \(cols)]")
        }
        let wantsQueries = wants(queries.id), wantsKeys = wants(keys.id)
        // Blocks of about 256k logits (1 MiB) stay in a core's L2 cache through all their passes (the
        // fastest of 64k to 1M on a batch of 1,024, `funnel bench models --model two-tower`).
        let blockRows = max(16, min(rows, 262_144 / max(1, cols)))
        let blocks = (rows + blockRows - 1) / blockRows
        let chunks = Compute.chunkCount(blocks, minimumChunk: 1)
        let gradientScale = scale / Float(max(1, rows))
        var chunkLoss = [Double](repeating: 0, count: chunks)
        var queryGradient = wantsQueries ? Tensor(zeros: q.shape) : nil
        // Each chunk sums its blocks' key gradients apart; the first chunk's sum is the result.
        var keyGradients = wantsKeys ? [Float](repeating: 0, count: chunks * cols * width) : []
        q.scalars.withUnsafeBufferPointer { pq in
            k.scalars.withUnsafeBufferPointer { pk in
                (correction?.scalars ?? []).withUnsafeBufferPointer { pc in
                    chunkLoss.withUnsafeMutableBufferPointer { losses in
                        keyGradients.withUnsafeMutableBufferPointer { dk in
                            withOptionalMutableStorage(&queryGradient) { dq in
                                Compute.parallel(blocks, chunks: chunks) { chunk, blockRange in
                                    var logits = [Float](repeating: 0, count: blockRows * cols)
                                    var total: Double = 0
                                    logits.withUnsafeMutableBufferPointer { buffer in
                                        let z = buffer.baseAddress!
                                        for block in blockRange {
                                            let first = block * blockRows, count = min(blockRows, rows - first)
                                            BLAS.gemm(transposeA: false, transposeB: true, m: count, n: cols, k: width, alpha: scale,
                                                      a: pq.baseAddress! + first * width, b: pk.baseAddress!, c: z)
                                            for r in 0..<count {
                                                let row = first + r
                                                let shift = correction == nil ? nil : pc.baseAddress! + (pc.count == cols ? 0 : row * cols)
                                                total += Graph.softmaxRow(z + r * cols, count: cols, adding: shift, target: Int(targets[row]))
                                                z[r * cols + Int(targets[row])] -= 1   // ∂loss/∂logits ∝ p − onehot
                                            }
                                            if let dq {
                                                BLAS.gemm(transposeA: false, transposeB: false, m: count, n: width, k: cols,
                                                          alpha: gradientScale, a: z, b: pk.baseAddress!, c: dq + first * width)
                                            }
                                            if wantsKeys {
                                                BLAS.gemm(transposeA: true, transposeB: false, m: cols, n: width, k: count,
                                                          alpha: gradientScale, a: z, b: pq.baseAddress! + first * width,
                                                          beta: block == blockRange.lowerBound ? 0 : 1,
                                                          c: dk.baseAddress! + chunk * cols * width)
                                            }
                                        }
                                    }
                                    losses[chunk] = total
                                }
                            }
                        }
                    }
                }
            }
        }
        let keyGradient: Tensor? = wantsKeys ? Tensor(shape: k.shape) { out, n in
            keyGradients.withUnsafeBufferPointer { dk in
                out.update(from: dk.baseAddress!, count: n)
                for chunk in 1..<max(1, chunks) {
                    Kernels.addScaled(dk.baseAddress! + chunk * n, scale: 1, into: out, count: n)
                }
            }
        } : nil
        let loss = Tensor(Float(chunkLoss.reduce(0, +) / Double(max(1, rows))))
        return result(loss, .productSoftmaxCrossEntropy(queries.id, keys.id, queryGradient, keyGradient),
                      inputs: queries.id, keys.id)
    }

    func productSoftmaxCrossEntropyBackward(_ queries: Int, _ keys: Int, _ dq: Tensor?, _ dk: Tensor?, _ g: Tensor) {
        let scale = g.scalar
        if let dq { accumulate(queries, scale == 1 ? dq : dq.map { $0 * scale }) }
        if let dk { accumulate(keys, scale == 1 ? dk : dk.map { $0 * scale }) }
    }

    /// Turns row `y` (plus `shift`, when given) into its softmax in place; returns the row's
    /// cross-entropy log Σ e^y − y[target].
    @inline(__always)
    static func softmaxRow(_ y: UnsafeMutablePointer<Float>, count: Int, adding shift: UnsafePointer<Float>?, target: Int) -> Double {
        if let shift { for j in 0..<count { y[j] += shift[j] } }
        let picked = y[target]
        let m = Kernels.maximum(y, count: count)
        let s = Kernels.expShifted(y, shift: m, y, count: count)
        Kernels.scale(y, by: 1 / s, into: y, count: count)
        return Double(m + Foundation.log(s) - picked)
    }
}

/// Calls `body` with the storage of `tensor`, or nil when there is none.
private func withOptionalMutableStorage<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard tensor != nil else { return body(nil) }
    return tensor!.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
