/// How each op passes gradients back: a flat record per node, dispatched in one switch.
enum Record {
    case leaf
    case binary(Graph.BinaryOp, Int, Int)
    case affine(Int, Float)
    case unary(Graph.UnaryOp, Int)
    case matmul(Int, Int, Bool, Bool, Float)
    case batchedMatmul(Int, Int, Bool, Bool)
    case linear(Int, Int, Int)
    case sumAxis(Int, Int)
    case sumAll(Int)
    case softmax(Int)
    case logSoftmax(Int)
    case layerNorm(Int, Int, Int, Tensor, [Float])
    case batchNorm(Int, Int, Int, Tensor, [Float])
    case l2Normalize(Int, [Float], Float)
    case reshape(Int)
    case concat([Int], Int)
    case slice(Int, Int, Int)
    case transpose(Int, [Int])
    case gather(Int, [Int32])
    case gatherSum(Int, [Int32], Int, [Int32])
    case embeddingBag(Int, [Int32], [Int32], Graph.BagPooling)
    case dot(Int, Int)
    case scaleBy(Int, Tensor)
    case binaryCrossEntropy(Int, [Float], [Float]?)
    /// Logits, targets and the softmax probabilities.
    case softmaxCrossEntropy(Int, [Int32], Tensor)
    /// Queries, keys, and their gradients for a unit upstream gradient (nil where not wanted).
    case productLoss(Int, Int, Tensor?, Tensor?)
    case fusedBlock(FusedBlockRecord)
    case pool(Int, [Int], Graph.BagPooling)
    case weightedSum(Int, Int)
    case pairwiseProducts(Int, Int)
    case multiplyAdd(Int, Int, Int)
    case targetAttention(TargetAttentionRecord)
}

extension Graph {
    func propagate(_ record: Record, gradient g: Tensor, output: Int) {
        switch record {
        case .leaf: break
        case let .binary(op, a, b): binaryBackward(op, a, b, output: output, g)
        case let .affine(x, scale): accumulate(x, g.map { $0 * scale })
        case let .unary(op, x): unaryBackward(op, x, output, g)
        case let .matmul(a, b, ta, tb, scale): matmulBackward(a, b, ta, tb, scale: scale, g)
        case let .batchedMatmul(a, b, ta, tb): batchedMatmulBackward(a, b, ta, tb, g)
        case let .linear(x, w, b): linearBackward(x, w, b, g)
        case let .sumAxis(x, axis): sumAxisBackward(x, axis, g)
        case let .sumAll(x): accumulate(x, Tensor(repeating: g.scalar, shape: values[x].shape))
        case let .softmax(x): softmaxBackward(x, output, g, log: false)
        case let .logSoftmax(x): softmaxBackward(x, output, g, log: true)
        case let .layerNorm(x, gamma, beta, xhat, rstd): layerNormBackward(x, gamma, beta, xhat, rstd, g)
        case let .batchNorm(x, gamma, beta, xhat, rstd): batchNormBackward(x, gamma, beta, xhat, rstd, g)
        case let .l2Normalize(x, norms, eps): l2NormalizeBackward(x, output, norms, eps, g)
        case let .reshape(x): accumulate(x, g.reshaped(values[x].shape))
        case let .concat(inputs, axis): concatBackward(inputs, axis, g)
        case let .slice(x, axis, start): sliceBackward(x, axis, start, g)
        case let .transpose(x, permutation): transposeBackward(x, permutation, g)
        case let .gather(table, indices): gatherBackward(table, indices, g)
        case let .gatherSum(table, indices, other, otherIndices):
            gatherBackward(table, indices, g)
            gatherBackward(other, otherIndices, g)
        case let .embeddingBag(table, ids, offsets, pooling): embeddingBagBackward(table, ids, offsets, pooling, g)
        case let .dot(a, b): dotBackward(a, b, g)
        case let .scaleBy(x, factors): scaleByBackward(x, factors, g)
        case let .binaryCrossEntropy(z, labels, weights): binaryCrossEntropyBackward(z, labels, weights, g)
        case let .softmaxCrossEntropy(z, targets, lp): softmaxCrossEntropyBackward(z, targets, lp, g)
        case let .productLoss(q, k, dq, dk): productLossBackward(q, k, dq, dk, g)
        case let .fusedBlock(record): fusedBlockBackward(record, output: output, g)
        case let .pool(x, lengths, pooling): poolBackward(x, lengths, pooling, g)
        case let .weightedSum(values, weights): weightedSumBackward(values, weights, g)
        case let .pairwiseProducts(left, right): pairwiseProductsBackward(left, right, g)
        case let .multiplyAdd(a, b, c): multiplyAddBackward(a, b, c, g)
        case let .targetAttention(record): targetAttentionBackward(record, output: output, g)
        }
    }
}
