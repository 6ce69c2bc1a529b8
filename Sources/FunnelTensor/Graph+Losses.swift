import Foundation

/// Losses, each a scalar node: fused where a fused form is cheaper and more stable,
/// composed from ops otherwise.
extension Graph {
    /// Binary cross-entropy on logits, averaged over examples; `weights` scale each example.
    public func binaryCrossEntropy(logits: Node, labels: [Float], weights: [Float]? = nil) -> Node {
        let z = logits.value
        ensure(z.count == labels.count, "binaryCrossEntropy: \(z.count) logits for \(labels.count) labels")
        if let weights { ensure(weights.count == labels.count, "binaryCrossEntropy: \(weights.count) weights for \(labels.count) labels") }
        var total: Double = 0
        z.scalars.withUnsafeBufferPointer { pz in
            for i in 0..<labels.count {
                let x = pz[i], y = labels[i]
                let loss = max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-abs(x)))
                total += Double((weights?[i] ?? 1) * loss)
            }
        }
        let n = Float(max(1, labels.count))
        return result(Tensor(Float(total) / n), .binaryCrossEntropy(logits.id, labels, weights), inputs: logits.id)
    }

    func binaryCrossEntropyBackward(_ logits: Int, _ labels: [Float], _ weights: [Float]?, _ g: Tensor) {
        let z = values[logits]
        let scale = g.scalar / Float(max(1, labels.count))
        let dz = Tensor(shape: z.shape) { out, n in
            z.scalars.withUnsafeBufferPointer { pz in
                for i in 0..<n { out[i] = scale * (weights?[i] ?? 1) * (Graph.sigmoid(pz[i]) - labels[i]) }
            }
        }
        accumulate(logits, dz)
    }

    /// Softmax cross-entropy of `[batch, classes]` logits against class indices, averaged over
    /// the batch. `correction` (shape `[classes]` or `[batch, classes]`) is added to the logits
    /// first: pass −log q for the logQ correction of sampled softmax.
    public func softmaxCrossEntropy(logits: Node, targets: [Int32], correction: Tensor? = nil) -> Node {
        let z = logits.value
        ensure(z.rank == 2 && z.shape[0] == targets.count,
                     "softmaxCrossEntropy: logits \(z.shape) do not fit \(targets.count) targets")
        let (rows, cols) = (z.shape[0], z.shape[1])
        if let correction {
            ensure(correction.shape == [cols] || correction.shape == z.shape,
                         "softmaxCrossEntropy: correction \(correction.shape) fits neither [\(cols)] nor \(z.shape)")
        }
        let correctionPerRow = correction?.shape == z.shape
        for t in targets { ensure(t >= 0 && Int(t) < cols, "softmaxCrossEntropy: target \(t) out of range for \(cols) classes") }
        // One pass per row: corrected logits, probabilities for the backward pass, and the loss lse − z_target.
        let chunks = Compute.chunkCount(rows, minimumChunk: 64)
        var chunkLoss = [Double](repeating: 0, count: chunks)
        let probabilities = Tensor(shape: z.shape) { out, _ in
            z.scalars.withUnsafeBufferPointer { p in
                (correction?.scalars ?? []).withUnsafeBufferPointer { c in
                    chunkLoss.withUnsafeMutableBufferPointer { losses in
                        Compute.parallel(rows, chunks: chunks) { chunk, range in
                            var total: Double = 0
                            for r in range {
                                let y = out + r * cols
                                y.update(from: p.baseAddress! + r * cols, count: cols)
                                let shift = correction == nil ? nil : c.baseAddress! + (correctionPerRow ? r * cols : 0)
                                total += Graph.softmaxRow(y, count: cols, adding: shift, target: Int(targets[r]))
                            }
                            losses[chunk] = total
                        }
                    }
                }
            }
        }
        let total = chunkLoss.reduce(0, +)
        return result(Tensor(Float(total / Double(max(1, rows)))),
                      .softmaxCrossEntropy(logits.id, targets, probabilities), inputs: logits.id)
    }

    func softmaxCrossEntropyBackward(_ logits: Int, _ targets: [Int32], _ probabilities: Tensor, _ g: Tensor) {
        let (rows, cols) = (probabilities.shape[0], probabilities.shape[1])
        let scale = g.scalar / Float(max(1, rows))
        let dz = Tensor(shape: probabilities.shape) { out, n in
            probabilities.scalars.withUnsafeBufferPointer { p in
                Compute.parallel(n, minimumChunk: 65_536) { _, range in
                    Kernels.scale(p.baseAddress! + range.lowerBound, by: scale, into: out + range.lowerBound, count: range.count)
                }
            }
            for r in 0..<rows { out[r * cols + Int(targets[r])] -= scale }
        }
        accumulate(logits, dz)
    }

    /// Mean squared error against fixed targets.
    public func meanSquaredError(_ predictions: Node, targets: Tensor) -> Node {
        ensure(predictions.value.count == targets.count,
                     "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ in size")
        let diff = predictions - constant(targets.reshaped(predictions.shape))
        return mean(diff.squared())
    }

    /// Triplet hinge loss on cosine: mean of max(0, margin − cos(a, p) + cos(a, n)).
    public func tripletHinge(anchor: Node, positive: Node, negative: Node, margin: Float) -> Node {
        let gap = cosine(anchor, negative) - cosine(anchor, positive)
        return mean((gap + margin).relu())
    }

    /// Triplet logistic loss on cosine: mean of log(1 + exp(σ · (cos(a, n) − cos(a, p)))).
    public func tripletLogistic(anchor: Node, positive: Node, negative: Node, sharpness: Float = 1) -> Node {
        let gap = cosine(anchor, negative) - cosine(anchor, positive)
        return mean((gap * sharpness).softplus())
    }

    /// InfoNCE with in-batch negatives: row i of `queries` should match row i of `keys` among
    /// all keys, on cosine similarity divided by `temperature`.
    public func infoNCE(queries: Node, keys: Node, temperature: Float, correction: Tensor? = nil) -> Node {
        ensure(queries.shape == keys.shape && queries.value.rank == 2,
                     "infoNCE: queries \(queries.shape) and keys \(keys.shape) must be matching matrices")
        return productSoftmaxCrossEntropy(queries: l2Normalize(queries), keys: l2Normalize(keys), scale: 1 / temperature,
                                          targets: (0..<Int32(queries.shape[0])).map { $0 }, correction: correction)
    }
}
