/// NumPy-style broadcasting of two shapes, and the reductions that undo it in the backward pass.
enum Broadcast {
    /// The broadcast shape of `a` and `b`; traps with both shapes named when they do not broadcast.
    static func shape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            ensure(da == db || da == 1 || db == 1,
                         "\(op): shapes \(a) and \(b) do not broadcast")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides of a tensor of `shape` when read as the larger `outShape`: 0 along broadcast axes.
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: outShape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + outShape.count - shape.count
            strides[o] = shape[i] == 1 ? 0 : running
            running *= shape[i]
        }
        return strides
    }

    /// Applies `f` elementwise over the broadcast of `a` and `b`.
    @inline(__always)
    static func apply(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { out, n in
                a.scalars.withUnsafeBufferPointer { pa in
                    b.scalars.withUnsafeBufferPointer { pb in
                        for i in 0..<n { out[i] = f(pa[i], pb[i]) }
                    }
                }
            }
        }
        let outShape = shape(a.shape, b.shape, op: op)
        let n = Tensor.count(of: outShape)
        return Tensor(shape: outShape) { out, _ in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    if b.count == 1 {
                        let s = pb[0]
                        for i in 0..<n { out[i] = f(pa[i], s) }
                    } else if a.count == 1 {
                        let s = pa[0]
                        for i in 0..<n { out[i] = f(s, pb[i]) }
                    } else if a.count == n, isSuffix(b.shape, of: outShape) {
                        let cols = b.count
                        for r in 0..<(n / cols) {
                            let base = r * cols
                            for j in 0..<cols { out[base + j] = f(pa[base + j], pb[j]) }
                        }
                    } else if b.count == n, isSuffix(a.shape, of: outShape) {
                        let cols = a.count
                        for r in 0..<(n / cols) {
                            let base = r * cols
                            for j in 0..<cols { out[base + j] = f(pa[j], pb[base + j]) }
                        }
                    } else if let axes = middleAxis(b.shape, of: a.shape) {
                        overSteps(axes, steps: pa.baseAddress!, rows: pb.baseAddress!, out) { f($0, $1) }
                    } else if let axes = middleAxis(a.shape, of: b.shape) {
                        overSteps(axes, steps: pb.baseAddress!, rows: pa.baseAddress!, out) { f($1, $0) }
                    } else {
                        let sa = strides(of: a.shape, in: outShape)
                        let sb = strides(of: b.shape, in: outShape)
                        forEachOffset(outShape, sa, sb) { o, ia, ib in out[o] = f(pa[ia], pb[ib]) }
                    }
                }
            }
        }
    }

    /// Sums `g` (of a broadcast shape) back down to `shape`.
    static func reduce(_ g: Tensor, to shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        let n = g.count
        var out = Tensor(zeros: shape)
        out.scalars.withUnsafeMutableBufferPointer { po in
            g.scalars.withUnsafeBufferPointer { pg in
                if po.count == 1 {
                    var s: Float = 0
                    for i in 0..<n { s += pg[i] }
                    po[0] = s
                } else if isSuffix(shape, of: g.shape) {   // a bias's gradient: column sums, vectorised and threaded
                    let cols = po.count, g = pg.baseAddress!
                    Graph.columnSums(rows: n / cols, cols: cols, into: [po.baseAddress!]) { r, sums in
                        Kernels.addScaled(g + r * cols, scale: 1, into: sums[0], count: cols)
                    }
                } else if let (outer, middle, inner) = middleAxis(shape, of: g.shape) {
                    for r in 0..<outer {
                        for m in 0..<middle {
                            Kernels.addScaled(pg.baseAddress! + (r * middle + m) * inner, scale: 1, into: po.baseAddress! + r * inner, count: inner)
                        }
                    }
                } else {
                    let so = strides(of: shape, in: g.shape)
                    forEachOffset(g.shape, so, so) { i, o, _ in po[o] += pg[i] }
                }
            }
        }
        return out
    }

    /// out[r, m, :] = f(steps[r, m, :], rows[r, :]) for `axes` (p, m, q): a row's vector with
    /// each step of its sequence (attention), contiguous inner loops.
    @inline(__always)
    static func overSteps(_ axes: (Int, Int, Int), steps: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                          _ out: UnsafeMutablePointer<Float>, _ f: (Float, Float) -> Float) {
        let (outer, middle, inner) = axes
        for r in 0..<outer {
            for m in 0..<middle {
                let base = (r * middle + m) * inner, row = r * inner
                for j in 0..<inner { out[base + j] = f(steps[base + j], rows[row + j]) }
            }
        }
    }

    /// (p, m, q) when `small` is `[p, 1, q]` and `large` is `[p, m, q]`: one row's vector broadcast
    /// over the steps of its sequence.
    static func middleAxis(_ small: [Int], of large: [Int]) -> (Int, Int, Int)? {
        guard small.count == 3, large.count == 3, small[1] == 1, small[0] == large[0], small[2] == large[2] else { return nil }
        return (large[0], large[1], large[2])
    }

    /// Whether `small` equals the trailing axes of `large` (after dropping leading 1s).
    static func isSuffix(_ small: [Int], of large: [Int]) -> Bool {
        var s = small[...]
        while s.first == 1 { s = s.dropFirst() }
        return s.count <= large.count && Array(large.suffix(s.count)) == Array(s)
    }

    /// Calls `body(outOffset, aOffset, bOffset)` for every element of `shape` in row-major order.
    @inline(__always)
    static func forEachOffset(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
        let rank = shape.count
        let n = Tensor.count(of: shape)
        guard n > 0 else { return }
        if rank == 0 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: rank)
        var ia = 0, ib = 0
        let last = rank - 1
        let inner = shape[last], la = sa[last], lb = sb[last]
        var o = 0
        while o < n {
            var a = ia, b = ib
            for _ in 0..<inner {
                body(o, a, b)
                o += 1; a += la; b += lb
            }
            // Advance the outer index.
            var axis = last - 1
            while axis >= 0 {
                index[axis] += 1
                ia += sa[axis]; ib += sb[axis]
                if index[axis] < shape[axis] { break }
                ia -= sa[axis] * shape[axis]; ib -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
