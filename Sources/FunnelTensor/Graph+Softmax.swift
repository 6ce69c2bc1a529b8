import Foundation

/// Softmax and log-softmax over the last axis.
extension Graph {
    public func softmax(_ x: Node) -> Node {
        result(Graph.softmaxRows(x.value, log: false), .softmax(x.id), inputs: x.id)
    }

    public func logSoftmax(_ x: Node) -> Node {
        result(Graph.softmaxRows(x.value, log: true), .logSoftmax(x.id), inputs: x.id)
    }

    /// Row-wise softmax (or log-softmax) of a tensor read as a matrix over its last axis.
    static func softmaxRows(_ v: Tensor, log: Bool) -> Tensor {
        let (rows, cols) = v.matrixShape
        return Tensor(shape: v.shape) { out, _ in
            v.scalars.withUnsafeBufferPointer { p in
                for r in 0..<rows {
                    let x = p.baseAddress! + r * cols, y = out + r * cols
                    let m = Kernels.maximum(x, count: cols)
                    let s = Kernels.expShifted(x, shift: m, y, count: cols)
                    if log {
                        let lse = m + Foundation.log(s)
                        for j in 0..<cols { y[j] = x[j] - lse }
                    } else {
                        let inv = 1 / s
                        for j in 0..<cols { y[j] *= inv }
                    }
                }
            }
        }
    }

    func softmaxBackward(_ x: Int, _ y: Int, _ g: Tensor, log: Bool) {
        let vy = values[y]
        let (rows, cols) = vy.matrixShape
        let gx = Tensor(shape: vy.shape) { out, _ in
            vy.scalars.withUnsafeBufferPointer { py in
                g.scalars.withUnsafeBufferPointer { pg in
                    for r in 0..<rows {
                        let base = r * cols
                        if log {
                            // dx = g - softmax · Σg
                            var s: Float = 0
                            for j in 0..<cols { s += pg[base + j] }
                            for j in 0..<cols { out[base + j] = pg[base + j] - Foundation.exp(py[base + j]) * s }
                        } else {
                            // dx = y ⊙ (g - Σ g⊙y)
                            var s: Float = 0
                            for j in 0..<cols { s += pg[base + j] * py[base + j] }
                            for j in 0..<cols { out[base + j] = py[base + j] * (pg[base + j] - s) }
                        }
                    }
                }
            }
        }
        accumulate(x, gx)
    }
}

extension Node {
    public func softmax() -> Node { graph.softmax(self) }
    public func logSoftmax() -> Node { graph.logSoftmax(self) }
}
