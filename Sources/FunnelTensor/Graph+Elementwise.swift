import Foundation

/// Elementwise binary ops with broadcasting, scalar affine maps and unary activations.
extension Graph {
    public enum BinaryOp: Sendable { case add, subtract, multiply, divide }
    public enum UnaryOp: Sendable, CaseIterable { case relu, sigmoid, tanh, gelu, exp, log, softplus, square, sqrt }

    public func binary(_ op: BinaryOp, _ a: Node, _ b: Node) -> Node {
        let va = a.value, vb = b.value
        let out: Tensor
        switch op {
        case .add: out = Broadcast.apply(va, vb, op: "add") { $0 + $1 }
        case .subtract: out = Broadcast.apply(va, vb, op: "subtract") { $0 - $1 }
        case .multiply: out = Broadcast.apply(va, vb, op: "multiply") { $0 * $1 }
        case .divide: out = Broadcast.apply(va, vb, op: "divide") { $0 / $1 }
        }
        return result(out, .binary(op, a.id, b.id), inputs: a.id, b.id)
    }

    func binaryBackward(_ op: BinaryOp, _ a: Int, _ b: Int, output: Int, _ g: Tensor) {
        let va = values[a], vb = values[b]
        switch op {
        case .add:
            if wants(a) { accumulate(a, Broadcast.reduce(g, to: va.shape)) }
            if wants(b) { accumulate(b, Broadcast.reduce(g, to: vb.shape)) }
        case .subtract:
            if wants(a) { accumulate(a, Broadcast.reduce(g, to: va.shape)) }
            if wants(b) { accumulate(b, Broadcast.reduce(g.map { -$0 }, to: vb.shape)) }
        case .multiply:
            if wants(a) { accumulate(a, Broadcast.reduce(Broadcast.apply(g, vb, op: "multiply") { $0 * $1 }, to: va.shape)) }
            if wants(b) { accumulate(b, Broadcast.reduce(Broadcast.apply(g, va, op: "multiply") { $0 * $1 }, to: vb.shape)) }
        case .divide:
            let gOverB = Broadcast.apply(g, vb, op: "divide") { $0 / $1 }
            if wants(a) { accumulate(a, Broadcast.reduce(gOverB, to: va.shape)) }
            if wants(b) {
                // d(a/b)/db = -(a/b)/b, and a/b is this op's output.
                let t = Tensor.zip(gOverB, values[output]) { -$0 * $1 }
                accumulate(b, Broadcast.reduce(t, to: vb.shape))
            }
        }
    }

    /// a ⊙ b + c over three tensors of one shape, in one pass (a DCN cross layer's
    /// x₀ ⊙ (W x + b) + x), where two binary ops would make two passes and a temporary.
    public func multiplyAdd(_ a: Node, _ b: Node, _ c: Node) -> Node {
        let va = a.value, vb = b.value, vc = c.value
        ensure(va.shape == vb.shape && vb.shape == vc.shape,
               "multiplyAdd: shapes \(va.shape), \(vb.shape) and \(vc.shape) differ")
        let out = Tensor(shape: va.shape) { y, n in
            va.scalars.withUnsafeBufferPointer { pa in
                vb.scalars.withUnsafeBufferPointer { pb in
                    vc.scalars.withUnsafeBufferPointer { pc in
                        Kernels.multiplyAdd(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, y, count: n)
                    }
                }
            }
        }
        return result(out, .multiplyAdd(a.id, b.id, c.id), inputs: a.id, b.id, c.id)
    }

    func multiplyAddBackward(_ a: Int, _ b: Int, _ c: Int, _ g: Tensor) {
        g.scalars.withUnsafeBufferPointer { pg in
            for (target, factor) in [(a, b), (b, a)] {
                values[factor].scalars.withUnsafeBufferPointer { pf in
                    accumulate(target) { d, beta in
                        Kernels.multiplyAdd(pg.baseAddress!, pf.baseAddress!, beta: beta, d, count: pg.count)
                    }
                }
            }
        }
        accumulate(c, g)
    }

    /// y = x * scale + shift.
    public func affine(_ x: Node, scale: Float, shift: Float = 0) -> Node {
        result(x.value.map { $0 * scale + shift }, .affine(x.id, scale), inputs: x.id)
    }

    public func unary(_ op: UnaryOp, _ x: Node) -> Node {
        let v = x.value
        let out: Tensor
        switch op {
        case .relu: out = v.map { max($0, 0) }
        case .sigmoid:
            out = Tensor(shape: v.shape) { y, n in v.scalars.withUnsafeBufferPointer { Kernels.sigmoid($0.baseAddress!, y, count: n) } }
        case .tanh: out = v.map { Foundation.tanh($0) }
        case .gelu: out = v.map { 0.5 * $0 * (1 + erf($0 * Float(0.5).squareRoot())) }
        case .exp: out = v.map { Foundation.exp($0) }
        case .log: out = v.map { Foundation.log($0) }
        case .softplus: out = v.map(Graph.softplus)
        case .square: out = v.map { $0 * $0 }
        case .sqrt: out = v.map { $0.squareRoot() }
        }
        return result(out, .unary(op, x.id), inputs: x.id)
    }

    func unaryBackward(_ op: UnaryOp, _ x: Int, _ y: Int, _ g: Tensor) {
        let vx = values[x], vy = values[y]
        let dx: Tensor
        switch op {
        case .relu:
            dx = Tensor(shape: g.shape) { out, n in
                g.scalars.withUnsafeBufferPointer { pg in
                    vy.scalars.withUnsafeBufferPointer { py in Kernels.reluBackward(pg.baseAddress!, py.baseAddress!, scale: 1, out, count: n) }
                }
            }
        case .sigmoid: dx = Tensor.zip(g, vy) { $0 * $1 * (1 - $1) }
        case .tanh: dx = Tensor.zip(g, vy) { $0 * (1 - $1 * $1) }
        case .gelu:
            let c = 1 / Float(2 * Double.pi).squareRoot()
            dx = Tensor.zip(g, vx) { g, x in
                g * (0.5 * (1 + erf(x * Float(0.5).squareRoot())) + x * c * Foundation.exp(-0.5 * x * x))
            }
        case .exp: dx = Tensor.zip(g, vy) { $0 * $1 }
        case .log: dx = Tensor.zip(g, vx) { $0 / $1 }
        case .softplus: dx = Tensor.zip(g, vx) { $0 * Graph.sigmoid($1) }
        case .square: dx = Tensor.zip(g, vx) { 2 * $0 * $1 }
        case .sqrt: dx = Tensor.zip(g, vy) { $0 / (2 * $1) }
        }
        accumulate(x, dx)
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// log(1 + e^x), stable for large |x|.
    @inline(__always)
    static func softplus(_ x: Float) -> Float {
        max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
    }
}

extension Tensor {
    /// A tensor of the same shape with `f` applied to every element.
    @inline(__always)
    public func map(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out, n in
            scalars.withUnsafeBufferPointer { p in
                for i in 0..<n { out[i] = f(p[i]) }
            }
        }
    }

    /// Elementwise combination of two tensors of the same shape.
    @inline(__always)
    public static func zip(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        ensure(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
        return Tensor(shape: a.shape) { out, n in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    for i in 0..<n { out[i] = f(pa[i], pb[i]) }
                }
            }
        }
    }
}

extension Node {
    public static func + (a: Node, b: Node) -> Node { a.graph.binary(.add, a, b) }
    public static func - (a: Node, b: Node) -> Node { a.graph.binary(.subtract, a, b) }
    public static func * (a: Node, b: Node) -> Node { a.graph.binary(.multiply, a, b) }
    public static func / (a: Node, b: Node) -> Node { a.graph.binary(.divide, a, b) }
    public static func + (a: Node, s: Float) -> Node { a.graph.affine(a, scale: 1, shift: s) }
    public static func - (a: Node, s: Float) -> Node { a.graph.affine(a, scale: 1, shift: -s) }
    public static func * (a: Node, s: Float) -> Node { a.graph.affine(a, scale: s) }
    public static func / (a: Node, s: Float) -> Node { a.graph.affine(a, scale: 1 / s) }
    public static func * (s: Float, a: Node) -> Node { a.graph.affine(a, scale: s) }
    public static prefix func - (a: Node) -> Node { a.graph.affine(a, scale: -1) }

    public func relu() -> Node { graph.unary(.relu, self) }
    public func sigmoid() -> Node { graph.unary(.sigmoid, self) }
    public func tanh() -> Node { graph.unary(.tanh, self) }
    public func gelu() -> Node { graph.unary(.gelu, self) }
    public func exp() -> Node { graph.unary(.exp, self) }
    public func log() -> Node { graph.unary(.log, self) }
    public func softplus() -> Node { graph.unary(.softplus, self) }
    public func squared() -> Node { graph.unary(.square, self) }
    public func sqrt() -> Node { graph.unary(.sqrt, self) }
}
