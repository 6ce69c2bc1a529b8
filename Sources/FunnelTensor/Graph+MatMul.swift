/// Matrix products through BLAS: plain, batched, and the fused affine map of a linear layer.
extension Graph {
    /// scale · op(a) · op(b). Without transposes, `a` may have any rank ≥ 2 and is read as a matrix
    /// over its last axis (so `[batch, time, k] · [k, n]` works); `b` is a matrix. The scale rides
    /// on the BLAS call (e.g. a softmax temperature) instead of costing a pass of its own.
    public func matmul(_ a: Node, _ b: Node, transposeA: Bool = false, transposeB: Bool = false, scale: Float = 1) -> Node {
        let va = a.value, vb = b.value
        ensure(vb.rank == 2 && va.rank >= 2 && (!transposeA || va.rank == 2),
                     "matmul: shapes \(va.shape) and \(vb.shape) are not matrices")
        let (rowsA, colsA) = va.matrixShape
        let m = transposeA ? colsA : rowsA, k = transposeA ? rowsA : colsA
        let n = transposeB ? vb.shape[0] : vb.shape[1]
        let kb = transposeB ? vb.shape[1] : vb.shape[0]
        ensure(k == kb, "matmul: inner dimensions of \(va.shape)\(transposeA ? "ᵀ" : "") and \(vb.shape)\(transposeB ? "ᵀ" : "") differ (\(k) vs \(kb))")
        let outShape = transposeA ? [m, n] : Array(va.shape.dropLast()) + [n]
        let out = Tensor(shape: outShape) { c, _ in
            va.scalars.withUnsafeBufferPointer { pa in
                vb.scalars.withUnsafeBufferPointer { pb in
                    BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                              alpha: scale, a: pa.baseAddress!, b: pb.baseAddress!, c: c)
                }
            }
        }
        return result(out, .matmul(a.id, b.id, transposeA, transposeB, scale), inputs: a.id, b.id)
    }

    func matmulBackward(_ a: Int, _ b: Int, _ ta: Bool, _ tb: Bool, scale: Float = 1, _ g: Tensor) {
        let (rowsA, colsA) = values[a].matrixShape
        let vb = values[b]
        productBackward(a, b, ta, tb, batch: 1, m: ta ? colsA : rowsA, n: tb ? vb.shape[0] : vb.shape[1],
                        k: ta ? rowsA : colsA, scale: scale, g)
    }

    /// Accumulates the gradients of `batch` stacked products scale · op(A_i) · op(B_i) into `a` and
    /// `b`, each product writing straight into the gradient gathered so far.
    func productBackward(_ a: Int, _ b: Int, _ ta: Bool, _ tb: Bool, batch: Int, m: Int, n: Int, k: Int, scale: Float, _ g: Tensor) {
        let va = values[a], vb = values[b]
        let aSize = va.count / batch, bSize = vb.count / batch
        g.scalars.withUnsafeBufferPointer { pg in
            va.scalars.withUnsafeBufferPointer { pa in
                vb.scalars.withUnsafeBufferPointer { pb in
                    accumulate(a) { da, beta in
                        for i in 0..<batch {
                            Graph.productGradients(ta, tb, m: m, n: n, k: k, scale: scale, beta: beta,
                                                   a: pa.baseAddress! + i * aSize, b: pb.baseAddress! + i * bSize,
                                                   g: pg.baseAddress! + i * m * n, da: da + i * aSize, db: nil)
                        }
                    }
                    accumulate(b) { db, beta in
                        for i in 0..<batch {
                            Graph.productGradients(ta, tb, m: m, n: n, k: k, scale: scale, beta: beta,
                                                   a: pa.baseAddress! + i * aSize, b: pb.baseAddress! + i * bSize,
                                                   g: pg.baseAddress! + i * m * n, da: nil, db: db + i * bSize)
                        }
                    }
                }
            }
        }
    }

    /// The gradients of C = scale · op(A) · op(B) (op(A) is m × k, op(B) is k × n) given dC, written
    /// into `da` and `db` (β times what they held, plus the gradient) where they are wanted:
    /// C = A B → dA = dC Bᵀ, dB = Aᵀ dC;  C = Aᵀ B → dA = B dCᵀ;  C = A Bᵀ → dB = dCᵀ A.
    static func productGradients(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, scale: Float, beta: Float = 0,
                                 a: UnsafePointer<Float>, b: UnsafePointer<Float>, g: UnsafePointer<Float>,
                                 da: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?) {
        if let da {
            if !ta {
                BLAS.gemm(transposeA: false, transposeB: !tb, m: m, n: k, k: n, alpha: scale, a: g, b: b, beta: beta, c: da)
            } else {
                BLAS.gemm(transposeA: tb, transposeB: true, m: k, n: m, k: n, alpha: scale, a: b, b: g, beta: beta, c: da)
            }
        }
        if let db {
            if !tb {
                BLAS.gemm(transposeA: !ta, transposeB: false, m: k, n: n, k: m, alpha: scale, a: a, b: g, beta: beta, c: db)
            } else {
                BLAS.gemm(transposeA: true, transposeB: ta, m: n, n: k, k: m, alpha: scale, a: g, b: a, beta: beta, c: db)
            }
        }
    }

    /// Batched product over leading axes: `[..., m, k] · [..., k, n]`, with optional transposes
    /// of the last two axes. Both operands need the same leading axes.
    public func batchedMatmul(_ a: Node, _ b: Node, transposeA: Bool = false, transposeB: Bool = false) -> Node {
        let va = a.value, vb = b.value
        ensure(va.rank >= 3 && va.rank == vb.rank && va.shape.dropLast(2) == vb.shape.dropLast(2),
                     "batchedMatmul: shapes \(va.shape) and \(vb.shape) need the same leading axes")
        let batch = Tensor.count(of: Array(va.shape.dropLast(2)))
        let (ar, ac) = (va.shape[va.rank - 2], va.shape[va.rank - 1])
        let (br, bc) = (vb.shape[vb.rank - 2], vb.shape[vb.rank - 1])
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac
        let n = transposeB ? br : bc, kb = transposeB ? bc : br
        ensure(k == kb, "batchedMatmul: inner dimensions of \(va.shape) and \(vb.shape) differ (\(k) vs \(kb))")
        let out = Tensor(shape: Array(va.shape.dropLast(2)) + [m, n]) { c, _ in
            va.scalars.withUnsafeBufferPointer { pa in
                vb.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<batch {
                        BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                  a: pa.baseAddress! + i * ar * ac, b: pb.baseAddress! + i * br * bc, c: c + i * m * n)
                    }
                }
            }
        }
        return result(out, .batchedMatmul(a.id, b.id, transposeA, transposeB), inputs: a.id, b.id)
    }

    func batchedMatmulBackward(_ a: Int, _ b: Int, _ ta: Bool, _ tb: Bool, _ g: Tensor) {
        let va = values[a], vb = values[b]
        let (ar, ac) = (va.shape[va.rank - 2], va.shape[va.rank - 1])
        let (br, bc) = (vb.shape[vb.rank - 2], vb.shape[vb.rank - 1])
        productBackward(a, b, ta, tb, batch: Tensor.count(of: Array(va.shape.dropLast(2))),
                        m: ta ? ac : ar, n: tb ? br : bc, k: ta ? ar : ac, scale: 1, g)
    }

    /// x · w + b in one op: `x` is `[..., in]`, `w` is `[in, out]`, `b` is `[out]`.
    public func linear(_ x: Node, weight w: Node, bias b: Node?) -> Node {
        let vx = x.value, vw = w.value
        ensure(vw.rank == 2 && vx.shape.last == vw.shape[0],
                     "linear: input \(vx.shape) does not fit weight \(vw.shape)")
        let (rows, k) = vx.matrixShape
        let n = vw.shape[1]
        let bias = b?.value
        if let bias { ensure(bias.shape == [n], "linear: bias \(bias.shape) does not fit weight \(vw.shape)") }
        let out = Tensor(shape: Array(vx.shape.dropLast()) + [n]) { c, _ in
            if let bias {
                bias.scalars.withUnsafeBufferPointer { pb in
                    for r in 0..<rows { (c + r * n).update(from: pb.baseAddress!, count: n) }
                }
            }
            vx.scalars.withUnsafeBufferPointer { px in
                vw.scalars.withUnsafeBufferPointer { pw in
                    BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: n, k: k,
                              a: px.baseAddress!, b: pw.baseAddress!, beta: bias == nil ? 0 : 1, c: c)
                }
            }
        }
        let inputs = [x.id, w.id] + (b.map { [$0.id] } ?? [])
        return result(out, .linear(x.id, w.id, b?.id ?? -1), inputList: inputs)
    }

    func linearBackward(_ x: Int, _ w: Int, _ b: Int, _ g: Tensor) {
        matmulBackward(x, w, false, false, g)
        if b >= 0, wants(b) {
            accumulate(b, Broadcast.reduce(g, to: values[b].shape))
        }
    }
}
