/// A row-major `[rows, columns]` block of scalars in a `Workspace`: what the forward-only
/// path passes between layers. It does not own its memory; it lives until the workspace is
/// reset.
public struct Matrix {
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let columns: Int

    public init(base: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        (self.base, self.rows, self.columns) = (base, rows, columns)
    }

    public var count: Int { rows * columns }

    /// Row `i` as a buffer.
    public subscript(row i: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base + i * columns, count: columns)
    }

    /// The scalars, copied out.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

extension Matrix {
    /// Multiplies every scalar by the one of `other` (the same shape) at its place, in place.
    public func multiply(by other: Matrix) {
        ensure(other.rows == rows && other.columns == columns, "multiply: [\(rows), \(columns)] by [\(other.rows), \(other.columns)]")
        for i in 0..<count { base[i] *= other.base[i] }
    }

    /// Divides each row by its L2 norm, floored at `epsilon`, in place (as `Graph.l2Normalize`).
    public func normalizeRows(epsilon: Float = 1e-12) {
        for r in 0..<rows {
            let row = base + r * columns
            var s: Float = 0
            for j in 0..<columns { s += row[j] * row[j] }
            let norm = max(s.squareRoot(), epsilon)
            for j in 0..<columns { row[j] /= norm }
        }
    }
}

extension Matrix {
    /// Replaces each run of `size` scalars (a row holds `columns / size` of them, such as the
    /// gates of several tasks side by side) by its softmax, in place. The exponentials run in
    /// one vector pass over all the scalars, so short groups cost no more than long rows.
    public func softmax(groupsOf size: Int) {
        ensure(size > 0 && columns % size == 0, "softmax: \(columns) columns do not split into groups of \(size)")
        let n = count
        var start = 0
        while start < n {
            let m = Kernels.maximum(base + start, count: size)
            for j in start..<(start + size) { base[j] -= m }
            start += size
        }
        Kernels.exp(base, count: n)
        start = 0
        while start < n {
            var s: Float = 0
            for j in start..<(start + size) { s += base[j] }
            let inverse = 1 / s
            for j in start..<(start + size) { base[j] *= inverse }
            start += size
        }
    }

    /// Row r of the result is Σ_k weights[r, column + k] · parts[k][r]: each row's mixture of
    /// the parts (expert outputs) under its weights (a gate), as `Graph.weightedSum`. Each
    /// vector of a row is summed in a register and stored once.
    public static func weightedSum(_ parts: [Matrix], weights: Matrix, column: Int = 0, in workspace: Workspace) -> Matrix {
        let rows = weights.rows, width = parts[0].columns, stride = weights.columns
        ensure(parts.allSatisfy { $0.rows == rows && $0.columns == width } && column + parts.count <= weights.columns,
               "weightedSum: \(parts.count) parts and weights of \(weights.columns) columns from \(column) do not match")
        let out = workspace.matrix(rows: rows, columns: width)
        let lanes = Kernels.Vector.scalarCount
        parts.map(\.base).withUnsafeBufferPointer { bases in
            for r in 0..<rows {
                let w = weights.base + r * stride + column, offset = r * width, o = out.base + offset
                var c = 0
                while c + lanes <= width {
                    var sum = Kernels.Vector(repeating: 0)
                    for k in 0..<bases.count { sum += w[k] * Kernels.load(bases[k] + offset + c) }
                    Kernels.store(sum, o + c)
                    c += lanes
                }
                while c < width {
                    var sum: Float = 0
                    for k in 0..<bases.count { sum += w[k] * bases[k][offset + c] }
                    o[c] = sum
                    c += 1
                }
            }
        }
        return out
    }
}
