/// A linear layer held for scoring the candidates of one request: `[input, output]` weights,
/// row-major, and a bias, read-only.
///
/// Many columns of a request's batch hold one value on every row: the user's and the context's
/// features, a one-hot column that no candidate sets. `forward` applies those once, into the
/// batch's bias, and runs the product over the columns that vary only. The result is the same
/// product; its cost shrinks by the share of such columns (a third of a feed's ranking features).
public struct ServingLinear: Sendable {
    public let input: Int
    public let output: Int
    private let weights: [Float]
    private let bias: [Float]

    public init(weights: [Float], bias: [Float]) {
        ensure(!bias.isEmpty && weights.count % bias.count == 0,
               "ServingLinear: \(weights.count) weights do not make rows of \(bias.count) outputs")
        (self.weights, self.bias) = (weights, bias)
        (input, output) = (weights.count / bias.count, bias.count)
    }

    /// `x · W + b` for the `rows` rows of `x` (`[rows, input]`, row-major, only read), as
    /// `[rows, output]` in `workspace`.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, in workspace: Workspace) -> Matrix {
        let y = workspace.matrix(rows: rows, columns: output)
        guard rows > 0 else { return y }
        let (input, output) = (input, output)
        // A column varies when some row differs from the first (a NaN differs from itself).
        var varies = [UInt8](repeating: 0, count: input)
        varies.withUnsafeMutableBufferPointer { v in
            for r in 1..<rows {
                let row = x + r * input
                for j in 0..<input { v[j] |= row[j] != x[j] ? 1 : 0 }
            }
        }
        let varying = (0..<input).filter { varies[$0] != 0 }
        weights.withUnsafeBufferPointer { w in
            let w = w.baseAddress!
            bias.withUnsafeBufferPointer { y.base.update(from: $0.baseAddress!, count: output) }
            for j in 0..<input where varies[j] == 0 && x[j] != 0 {
                Kernels.addScaled(w + j * output, scale: x[j], into: y.base, count: output)
            }
            for r in 1..<rows { (y.base + r * output).update(from: y.base, count: output) }
            if varying.count == input {
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: output, k: input, a: x, b: w, beta: 1, c: y.base)
            } else if !varying.isEmpty {
                let k = varying.count
                let xv = workspace.matrix(rows: rows, columns: k), wv = workspace.matrix(rows: k, columns: output)
                for r in 0..<rows {
                    let from = x + r * input, to = xv.base + r * k
                    for (c, j) in varying.enumerated() { to[c] = from[j] }
                }
                for (c, j) in varying.enumerated() { (wv.base + c * output).update(from: w + j * output, count: output) }
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: output, k: k, a: xv.base, b: wv.base, beta: 1, c: y.base)
            }
        }
        return y
    }
}
