/// Reshape, concatenation, slicing and axis permutation.
extension Graph {
    public func reshape(_ x: Node, _ shape: [Int]) -> Node {
        var shape = shape
        if let unknown = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            ensure(known > 0 && x.value.count % known == 0, "reshape: cannot infer -1 in \(shape) for \(x.shape)")
            shape[unknown] = x.value.count / known
        }
        return result(x.value.reshaped(shape), .reshape(x.id), inputs: x.id)
    }

    /// Joins nodes along `axis`; all other axes must agree.
    public func concat(_ nodes: [Node], axis: Int) -> Node {
        ensure(!nodes.isEmpty, "concat: no inputs")
        let first = nodes[0].shape
        let ax = Graph.normalize(axis: axis, rank: first.count, op: "concat")
        for n in nodes {
            var a = n.shape, b = first
            ensure(a.count == b.count, "concat: shapes \(first) and \(n.shape) differ in rank")
            a[ax] = 0; b[ax] = 0
            ensure(a == b, "concat: shapes \(first) and \(n.shape) differ outside axis \(ax)")
        }
        let sizes = nodes.map { $0.shape[ax] }
        var outShape = first
        outShape[ax] = sizes.reduce(0, +)
        let (outer, _, inner) = Graph.split(outShape, at: ax)
        let total = outShape[ax]
        let vals = nodes.map(\.value)
        let out = Tensor(shape: outShape) { y, _ in
            var offset = 0
            for (v, size) in zip(vals, sizes) {
                v.scalars.withUnsafeBufferPointer { p in
                    for o in 0..<outer {
                        (y + (o * total + offset) * inner).update(from: p.baseAddress! + o * size * inner, count: size * inner)
                    }
                }
                offset += size
            }
        }
        return result(out, .concat(nodes.map(\.id), ax), inputList: nodes.map(\.id))
    }

    func concatBackward(_ inputs: [Int], _ axis: Int, _ g: Tensor) {
        var offset = 0
        for id in inputs {
            let size = values[id].shape[axis]
            if wants(id) { accumulate(id, Graph.sliceTensor(g, axis: axis, start: offset, length: size)) }
            offset += size
        }
    }

    /// `length` entries of `axis` starting at `start`.
    public func slice(_ x: Node, axis: Int, start: Int, length: Int) -> Node {
        let ax = Graph.normalize(axis: axis, rank: x.value.rank, op: "slice")
        ensure(start >= 0 && length >= 0 && start + length <= x.shape[ax],
                     "slice: range \(start)..<\(start + length) out of bounds for axis \(ax) of \(x.shape)")
        return result(Graph.sliceTensor(x.value, axis: ax, start: start, length: length), .slice(x.id, ax, start), inputs: x.id)
    }

    /// Splits `x` along `axis` into parts of the given sizes.
    public func split(_ x: Node, axis: Int, sizes: [Int]) -> [Node] {
        let ax = Graph.normalize(axis: axis, rank: x.value.rank, op: "split")
        ensure(sizes.reduce(0, +) == x.shape[ax], "split: sizes \(sizes) do not add up to axis \(ax) of \(x.shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(x, axis: ax, start: start, length: size)
        }
    }

    func sliceBackward(_ x: Int, _ axis: Int, _ start: Int, _ g: Tensor) {
        let shape = values[x].shape
        let (outer, n, inner) = Graph.split(shape, at: axis)
        let length = g.shape[axis]
        var gx = Tensor(zeros: shape)
        gx.scalars.withUnsafeMutableBufferPointer { px in
            g.scalars.withUnsafeBufferPointer { pg in
                for o in 0..<outer {
                    (px.baseAddress! + (o * n + start) * inner).update(from: pg.baseAddress! + o * length * inner, count: length * inner)
                }
            }
        }
        accumulate(x, gx)
    }

    static func sliceTensor(_ v: Tensor, axis: Int, start: Int, length: Int) -> Tensor {
        let (outer, n, inner) = split(v.shape, at: axis)
        var shape = v.shape
        shape[axis] = length
        return Tensor(shape: shape) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                for o in 0..<outer {
                    (y + o * length * inner).update(from: p.baseAddress! + (o * n + start) * inner, count: length * inner)
                }
            }
        }
    }

    /// Permutes axes: output axis i is input axis `permutation[i]`.
    public func transpose(_ x: Node, _ permutation: [Int]) -> Node {
        ensure(permutation.sorted() == Array(0..<x.value.rank),
                     "transpose: \(permutation) is not a permutation of the axes of \(x.shape)")
        return result(Graph.permute(x.value, permutation), .transpose(x.id, permutation), inputs: x.id)
    }

    /// Swaps the last two axes.
    public func transposeLastTwo(_ x: Node) -> Node {
        let r = x.value.rank
        ensure(r >= 2, "transposeLastTwo: shape \(x.shape) has fewer than two axes")
        return transpose(x, Array(0..<(r - 2)) + [r - 1, r - 2])
    }

    func transposeBackward(_ x: Int, _ permutation: [Int], _ g: Tensor) {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        accumulate(x, Graph.permute(g, inverse))
    }

    static func permute(_ v: Tensor, _ permutation: [Int]) -> Tensor {
        let outShape = permutation.map { v.shape[$0] }
        var inStrides = [Int](repeating: 1, count: v.rank)
        for i in stride(from: v.rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * v.shape[i + 1] }
        let strides = permutation.map { inStrides[$0] }
        return Tensor(shape: outShape) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                Broadcast.forEachOffset(outShape, strides, strides) { o, i, _ in y[o] = p[i] }
            }
        }
    }
}

extension Node {
    public func reshaped(_ shape: [Int]) -> Node { graph.reshape(self, shape) }
    public func transposed(_ permutation: [Int]) -> Node { graph.transpose(self, permutation) }
    public func slice(axis: Int, start: Int, length: Int) -> Node { graph.slice(self, axis: axis, start: start, length: length) }
}
