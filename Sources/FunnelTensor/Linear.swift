/// An affine layer y = x · W + b, with `W` of shape `[input, output]`.
public struct Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    /// Weights and bias drawn from U(−1/√input, 1/√input).
    public init(input: Int, output: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let limit = 1 / Float(input).squareRoot()
        weight = Parameter(.randomUniform(shape: [input, output], in: -limit...limit, generator: &generator))
        self.bias = bias ? Parameter(.randomUniform(shape: [output], in: -limit...limit, generator: &generator)) : nil
    }

    public var inputSize: Int { weight.shape[0] }
    public var outputSize: Int { weight.shape[1] }

    public func callAsFunction(_ x: Node) -> Node {
        let g = x.graph
        return g.linear(x, weight: g.parameter(weight), bias: bias.map { g.parameter($0) })
    }

    /// The layer applied to the column-wise concatenation of `parts` without building it: each
    /// part meets its own rows of W and the products are summed. Cheaper than a concatenation
    /// (a copy of every input forward and backward) when the output is narrower than the input,
    /// as a prediction head is.
    public func callAsFunction(_ parts: [Node]) -> Node {
        ensure(!parts.isEmpty && parts.reduce(0) { $0 + ($1.shape.last ?? 0) } == inputSize,
               "Linear: parts of widths \(parts.map { $0.shape.last ?? 0 }) do not make \(inputSize) inputs")
        guard parts.count > 1 else { return callAsFunction(parts[0]) }
        let g = parts[0].graph
        let w = g.parameter(weight)
        var offset = 0
        var sum: Node?
        for (i, part) in parts.enumerated() {
            let width = part.shape.last!
            let y = g.linear(part, weight: w.slice(axis: 0, start: offset, length: width),
                             bias: i == 0 ? bias.map { g.parameter($0) } : nil)
            sum = sum.map { $0 + y } ?? y
            offset += width
        }
        return sum!
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("weight", weight)
        if let bias { visit("bias", bias) }
    }
}

extension Linear {
    /// x · W + b without a graph, for serving.
    public func forward(_ x: Matrix, in workspace: Workspace) -> Matrix {
        forward([x], in: workspace)
    }

    /// The layer applied to the column-wise concatenation of `parts` without building it:
    /// each part multiplies its own rows of W, summed into one output (BLAS's β = 1).
    public func forward(_ parts: [Matrix], in workspace: Workspace) -> Matrix {
        let rows = parts[0].rows
        ensure(parts.allSatisfy { $0.rows == rows } && parts.reduce(0) { $0 + $1.columns } == inputSize,
               "Linear.forward: inputs of \(parts.map { [$0.rows, $0.columns] }) do not make [\(rows), \(inputSize)]")
        let y = biasRows(rows, in: workspace)
        if parts.count == 1, runsInBFloat16(rows: rows, in: workspace) {
            weight.bfloat16Weights.product(m: rows, a: parts[0].base, lda: inputSize, beta: bias == nil ? 0 : 1, c: y.base,
                                           scale: nil, shift: nil, relu: false, in: workspace)
            return y
        }
        weight.value.scalars.withUnsafeBufferPointer { w in
            var offset = 0
            for (i, part) in parts.enumerated() {
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: outputSize, k: part.columns,
                          a: part.base, b: w.baseAddress! + offset * outputSize,
                          beta: bias == nil && i == 0 ? 0 : 1, c: y.base)
                offset += part.columns
            }
        }
        return y
    }

    /// The layer applied to `rows` rows of `inputSize` scalars that sit `stride` apart: a block
    /// of columns inside a wider matrix, read in place.
    public func forward(rows: Int, _ x: UnsafePointer<Float>, stride: Int, in workspace: Workspace) -> Matrix {
        let y = biasRows(rows, in: workspace)
        if runsInBFloat16(rows: rows, in: workspace) {
            weight.bfloat16Weights.product(m: rows, a: x, lda: stride, beta: bias == nil ? 0 : 1, c: y.base,
                                           scale: nil, shift: nil, relu: false, in: workspace)
            return y
        }
        weight.value.scalars.withUnsafeBufferPointer { w in
            BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: outputSize, k: inputSize,
                      a: x, lda: stride, b: w.baseAddress!, beta: bias == nil ? 0 : 1, c: y.base)
        }
        return y
    }

    /// One serving block: `activation(norm(x · W + b))`, batch norm with its running
    /// statistics. The bias and the norm fold into one per-column map applied with the
    /// activation in a single pass after the product; on bfloat16 tiles, inside the product's
    /// own store. Separately they cost a pass over the output each.
    public func forward(_ x: Matrix, norm: BatchNorm?, activation: Activation, in workspace: Workspace) -> Matrix {
        ensure(x.columns == inputSize, "Linear.forward: \(x.columns) inputs for a layer of \(inputSize)")
        var scale: [Float]? = nil
        var shift = bias?.value.scalars ?? [Float](repeating: 0, count: outputSize)
        if let norm {
            let affine = norm.servingAffine
            for j in 0..<outputSize { shift[j] = shift[j] * affine.scale[j] + affine.shift[j] }
            scale = affine.scale
        }
        let relu = activation == .relu
        let y = workspace.matrix(rows: x.rows, columns: outputSize)
        if runsInBFloat16(rows: x.rows, in: workspace) {
            weight.bfloat16Weights.product(m: x.rows, a: x.base, lda: inputSize, beta: 0, c: y.base,
                                           scale: scale, shift: shift, relu: relu, in: workspace)
        } else {
            weight.value.scalars.withUnsafeBufferPointer { w in
                BLAS.gemm(transposeA: false, transposeB: false, m: x.rows, n: outputSize, k: inputSize,
                          a: x.base, b: w.baseAddress!, beta: 0, c: y.base)
            }
            let ones = scale == nil ? [Float](repeating: 1, count: outputSize) : []
            (scale ?? ones).withUnsafeBufferPointer { a in
                shift.withUnsafeBufferPointer { b in
                    for r in 0..<x.rows {
                        let row = y.base + r * outputSize
                        Kernels.affineActivation(row, a: a.baseAddress!, b: b.baseAddress!, relu: relu, keep: nil, row, count: outputSize)
                    }
                }
            }
        }
        if !relu { activation.apply(y) }
        return y
    }

    /// Whether this product runs on bfloat16 tiles: asked for, available, and large enough on
    /// every side to fill them (narrower ones stay in float32, where padding would waste the tile).
    private func runsInBFloat16(rows: Int, in workspace: Workspace) -> Bool {
        workspace.precision == .bfloat16 && rows >= 16 && inputSize >= 16 && outputSize >= 16 && BFloat16Weights.isAvailable
    }

    /// `[rows, outputSize]` holding the bias in every row (uninitialised without one).
    private func biasRows(_ rows: Int, in workspace: Workspace) -> Matrix {
        let y = workspace.matrix(rows: rows, columns: outputSize)
        if let bias {
            bias.value.scalars.withUnsafeBufferPointer { b in
                if outputSize >= 16 {
                    for r in 0..<rows { (y.base + r * outputSize).update(from: b.baseAddress!, count: outputSize) }
                } else {
                    for r in 0..<rows { for j in 0..<outputSize { y.base[r * outputSize + j] = b[j] } }
                }
            }
        }
        return y
    }

    /// Several layers that read the same input, side by side: one product whose output holds
    /// each layer's columns in turn (the gates of every task at once, instead of one narrow
    /// product each). The weights are copied side by side first, which costs input × outputs.
    public static func forward(sideBySide layers: [Linear], _ x: Matrix, in workspace: Workspace) -> Matrix {
        let total = layers.reduce(0) { $0 + $1.outputSize }
        ensure(layers.allSatisfy { $0.inputSize == x.columns }, "Linear.forward: side-by-side layers must all read \(x.columns) inputs")
        let weights = workspace.matrix(rows: x.columns, columns: total)
        let y = workspace.matrix(rows: x.rows, columns: total)
        var column = 0
        for layer in layers {
            let n = layer.outputSize
            layer.weight.value.scalars.withUnsafeBufferPointer { w in
                for i in 0..<x.columns { (weights.base + i * total + column).update(from: w.baseAddress! + i * n, count: n) }
            }
            if let bias = layer.bias {
                bias.value.scalars.withUnsafeBufferPointer { (y.base + column).update(from: $0.baseAddress!, count: n) }
            } else {
                (y.base + column).update(repeating: 0, count: n)
            }
            column += n
        }
        for r in 1..<max(1, x.rows) { (y.base + r * total).update(from: y.base, count: total) }
        BLAS.gemm(transposeA: false, transposeB: false, m: x.rows, n: total, k: x.columns,
                  a: x.base, b: weights.base, beta: 1, c: y.base)
        return y
    }
}
