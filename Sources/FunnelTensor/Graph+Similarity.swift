/// Dot products and cosine similarity along the last axis.
extension Graph {
    /// Σ a ⊙ b over the last axis; inputs of the same shape `[..., d]` give `[...]`.
    public func dot(_ a: Node, _ b: Node) -> Node {
        ensure(a.shape == b.shape, "dot: shapes \(a.shape) and \(b.shape) differ")
        let va = a.value, vb = b.value
        let (rows, cols) = va.matrixShape
        let out = Tensor(shape: Array(va.shape.dropLast())) { y, _ in
            va.scalars.withUnsafeBufferPointer { pa in
                vb.scalars.withUnsafeBufferPointer { pb in
                    for r in 0..<rows {
                        var s: Float = 0
                        for j in 0..<cols { s += pa[r * cols + j] * pb[r * cols + j] }
                        y[r] = s
                    }
                }
            }
        }
        return result(out, .dot(a.id, b.id), inputs: a.id, b.id)
    }

    func dotBackward(_ a: Int, _ b: Int, _ g: Tensor) {
        let cols = values[a].shape.last ?? 1
        func scaled(_ v: Tensor) -> Tensor {
            Tensor(shape: v.shape) { y, n in
                v.scalars.withUnsafeBufferPointer { p in
                    g.scalars.withUnsafeBufferPointer { pg in
                        for i in 0..<n { y[i] = pg[i / cols] * p[i] }
                    }
                }
            }
        }
        if wants(a) { accumulate(a, scaled(values[b])) }
        if wants(b) { accumulate(b, scaled(values[a])) }
    }

    /// Cosine similarity along the last axis.
    public func cosine(_ a: Node, _ b: Node, epsilon: Float = 1e-12) -> Node {
        dot(l2Normalize(a, epsilon: epsilon), l2Normalize(b, epsilon: epsilon))
    }
}
