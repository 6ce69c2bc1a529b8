/// Sums and means over one axis or over everything.
extension Graph {
    /// Sum over `axis` (negative counts from the end); `keepingDimension` leaves a 1 there.
    public func sum(_ x: Node, axis: Int, keepingDimension: Bool = false) -> Node {
        let v = x.value
        let ax = Graph.normalize(axis: axis, rank: v.rank, op: "sum")
        let (outer, n, inner) = Graph.split(v.shape, at: ax)
        var outShape = v.shape
        if keepingDimension { outShape[ax] = 1 } else { outShape.remove(at: ax) }
        var out = Tensor(zeros: outShape)
        out.scalars.withUnsafeMutableBufferPointer { po in
            v.scalars.withUnsafeBufferPointer { pv in
                for o in 0..<outer {
                    for k in 0..<n {
                        let src = (o * n + k) * inner, dst = o * inner
                        for i in 0..<inner { po[dst + i] += pv[src + i] }
                    }
                }
            }
        }
        return result(out, .sumAxis(x.id, ax), inputs: x.id)
    }

    public func mean(_ x: Node, axis: Int, keepingDimension: Bool = false) -> Node {
        let ax = Graph.normalize(axis: axis, rank: x.value.rank, op: "mean")
        return affine(sum(x, axis: ax, keepingDimension: keepingDimension), scale: 1 / Float(x.shape[ax]))
    }

    /// Sum of all elements, as a scalar.
    public func sum(_ x: Node) -> Node {
        var s: Float = 0
        x.value.scalars.withUnsafeBufferPointer { p in for v in p { s += v } }
        return result(Tensor(s), .sumAll(x.id), inputs: x.id)
    }

    public func mean(_ x: Node) -> Node {
        affine(sum(x), scale: 1 / Float(max(1, x.value.count)))
    }

    func sumAxisBackward(_ x: Int, _ axis: Int, _ g: Tensor) {
        let shape = values[x].shape
        let (outer, n, inner) = Graph.split(shape, at: axis)
        let gx = Tensor(shape: shape) { out, _ in
            g.scalars.withUnsafeBufferPointer { pg in
                for o in 0..<outer {
                    for k in 0..<n {
                        (out + (o * n + k) * inner).update(from: pg.baseAddress! + o * inner, count: inner)
                    }
                }
            }
        }
        accumulate(x, gx)
    }

    static func normalize(axis: Int, rank: Int, op: String) -> Int {
        let ax = axis < 0 ? axis + rank : axis
        ensure(ax >= 0 && ax < rank, "\(op): axis \(axis) out of range for rank \(rank)")
        return ax
    }

    /// A shape as (product before axis, size of axis, product after axis).
    static func split(_ shape: [Int], at axis: Int) -> (Int, Int, Int) {
        (Tensor.count(of: Array(shape[..<axis])), shape[axis], Tensor.count(of: Array(shape[(axis + 1)...])))
    }
}

extension Node {
    public func sum(axis: Int, keepingDimension: Bool = false) -> Node { graph.sum(self, axis: axis, keepingDimension: keepingDimension) }
    public func mean(axis: Int, keepingDimension: Bool = false) -> Node { graph.mean(self, axis: axis, keepingDimension: keepingDimension) }
    public func sum() -> Node { graph.sum(self) }
    public func mean() -> Node { graph.mean(self) }
}
