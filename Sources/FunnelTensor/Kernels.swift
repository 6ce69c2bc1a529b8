/// Elementwise kernels written with explicit SIMD where the compiler would otherwise emit
/// scalar branches.
enum Kernels {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// out = y > 0 ? g · scale : 0 (the gradient through a ReLU whose output is `y`).
    @inline(__always)
    static func reluBackward(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, scale: Float,
                             _ out: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let zero = Vector(repeating: 0)
        while i + Vector.scalarCount <= n {
            store((load(g + i) * scale).replacing(with: zero, where: load(y + i) .<= zero), out + i)
            i += Vector.scalarCount
        }
        while i < n {
            out[i] = y[i] > 0 ? g[i] * scale : 0
            i += 1
        }
    }
}
