import Foundation

/// A loss over each query's row of similarity logits z = scale · q Kᵀ, where one key is the
/// query's positive (its target) and the others are its negatives: the listwise, pointwise and
/// pairwise trainings of retrieval towers.
///
/// Keys masked out of a row (a correction of −∞ there) take no part in it, for every kind: an
/// accidental hit, the query's own positive seen again as another row's key, is not a negative.
public enum ProductLoss: Hashable, Sendable {
    /// −log softmax(z + correction)[target]; finite corrections are added (−log q for logQ).
    case softmax
    /// Binary cross-entropy of σ(z): the target labelled 1 and the mean over the row's
    /// negatives labelled 0, the two halves weighted equally.
    case binary
    /// The cosine embedding loss, on c = z / scale: (1 − c_target) + mean over negatives of
    /// max(0, c − margin).
    case cosine(margin: Float)
    /// Pairwise logistic on the margin: the mean over negatives of log(1 + exp(z − z_target)).
    case pairwiseLogistic
    /// Triplet hinge on cosines c = z / scale: the mean over negatives of
    /// max(0, margin + c − c_target).
    case pairwiseHinge(margin: Float)
}

/// Losses over similarity logits (scale · Q Kᵀ) without the `[queries, keys]` logits in memory.
///
/// Queries go in blocks whose logits fit in cache. For each block the product, the loss and,
/// when training, the gradients of Q and K (for a unit upstream gradient) are computed while
/// the block is hot; backward then only scales them. Composed from `matmul` and
/// `softmaxCrossEntropy`, a batch of 1,024 writes, reads and packs three 4 MiB matrices.
extension Graph {
    /// The mean over queries of −log softmax(scale · q_i Kᵀ + correction)[targets[i]].
    /// `correction` (shape `[keys]` or `[queries, keys]`) is added to the scaled logits: pass
    /// −log q for the logQ correction of sampled softmax. Equal to
    /// `softmaxCrossEntropy(logits: matmul(queries, keys, transposeB: true, scale: scale), …)`.
    public func productSoftmaxCrossEntropy(queries: Node, keys: Node, scale: Float = 1, targets: [Int32],
                                           correction: Tensor? = nil) -> Node {
        productLoss(.softmax, queries: queries, keys: keys, scale: scale, targets: targets, correction: correction)
    }

    /// The mean over queries of `kind`'s loss on row i of scale · Q Kᵀ, whose positive is key
    /// `targets[i]`. `correction` (shape `[keys]` or `[queries, keys]`) masks keys with −∞;
    /// for `.softmax` its finite values are added to the logits, for the other kinds ignored.
    public func productLoss(_ kind: ProductLoss, queries: Node, keys: Node, scale: Float = 1, targets: [Int32],
                            correction: Tensor? = nil) -> Node {
        let q = queries.value, k = keys.value
        ensure(q.rank == 2 && k.rank == 2 && q.shape[1] == k.shape[1],
               "productLoss: queries \(q.shape) and keys \(k.shape) must be matrices of one width")
        let (rows, cols, width) = (q.shape[0], k.shape[0], q.shape[1])
        ensure(targets.count == rows, "productLoss: \(targets.count) targets for \(rows) queries")
        for t in targets {
            ensure(t >= 0 && Int(t) < cols, "productLoss: target \(t) out of range for \(cols) keys")
        }
        if let correction {
            ensure(correction.shape == [cols] || correction.shape == [rows, cols],
                   "productLoss: correction \(correction.shape) fits neither [\(cols)] nor [\(rows), \(cols)]")
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
                                                total += Graph.lossRow(kind, z + r * cols, count: cols, correction: shift,
                                                                       target: Int(targets[row]), scale: scale)
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
        return result(loss, .productLoss(queries.id, keys.id, queryGradient, keyGradient),
                      inputs: queries.id, keys.id)
    }

    func productLossBackward(_ queries: Int, _ keys: Int, _ dq: Tensor?, _ dk: Tensor?, _ g: Tensor) {
        let scale = g.scalar
        if let dq { accumulate(queries, scale == 1 ? dq : dq.map { $0 * scale }) }
        if let dk { accumulate(keys, scale == 1 ? dk : dk.map { $0 * scale }) }
    }

    /// Replaces row `y` of logits by the gradient of `kind`'s loss on it and returns the loss.
    @inline(__always)
    static func lossRow(_ kind: ProductLoss, _ y: UnsafeMutablePointer<Float>, count: Int, correction: UnsafePointer<Float>?,
                        target: Int, scale: Float) -> Double {
        if case .softmax = kind {
            let loss = softmaxRow(y, count: count, adding: correction, target: target)
            y[target] -= 1   // ∂loss/∂logits = p − onehot
            return loss
        }
        var negatives = 0
        for j in 0..<count where j != target && correction?[j] != -.infinity { negatives += 1 }
        let share = 1 / Float(max(1, negatives))
        let positive = y[target]
        var loss: Float = 0, positiveGradient: Float = 0
        for j in 0..<count where j != target {
            guard correction?[j] != -.infinity else { y[j] = 0; continue }
            switch kind {
            case .softmax:
                break
            case .binary:
                loss += share * softplus(y[j])
                y[j] = share * sigmoid(y[j])
            case .cosine(let margin):
                let excess = y[j] / scale - margin
                loss += share * max(0, excess)
                y[j] = excess > 0 ? share / scale : 0
            case .pairwiseLogistic:
                let gap = y[j] - positive
                loss += share * softplus(gap)
                y[j] = share * sigmoid(gap)
                positiveGradient -= y[j]
            case .pairwiseHinge(let margin):
                let violation = margin + (y[j] - positive) / scale
                loss += share * max(0, violation)
                y[j] = violation > 0 ? share / scale : 0
                positiveGradient -= y[j]
            }
        }
        switch kind {
        case .binary:
            loss += softplus(-positive)
            positiveGradient = sigmoid(positive) - 1
        case .cosine:
            loss += 1 - positive / scale
            positiveGradient = -1 / scale
        default:
            break
        }
        y[target] = positiveGradient
        return Double(loss)
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
