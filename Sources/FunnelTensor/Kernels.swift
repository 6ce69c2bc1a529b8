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

    /// e^x for eight lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial
    /// (Cephes expf coefficients, relative error about 2e-7), 2^n by building the exponent bits.
    /// Rounding uses the 1.5·2²³ trick (the integer lands in the mantissa bits), which stays in
    /// vector registers where a float-to-int conversion would not.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let low = Vector(repeating: -87.3), high = Vector(repeating: 88.7)
        var v = x.replacing(with: low, where: x .< low)
        v = v.replacing(with: high, where: v .> high)
        let magic: Float = 12_582_912
        let t = v * 1.442_695_04 + magic
        let n = t - magic
        let r = v - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let integer = unsafeBitCast(t, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
    }

    /// out[i] = e^(x[i] − shift); returns Σ out.
    @inline(__always)
    static func expShifted(_ x: UnsafePointer<Float>, shift: Float, _ out: UnsafeMutablePointer<Float>, count n: Int) -> Float {
        var i = 0
        var sum = Vector(repeating: 0)
        while i + Vector.scalarCount <= n {
            let e = exp(load(x + i) - shift)
            store(e, out + i)
            sum += e
            i += Vector.scalarCount
        }
        var total = sum.sum()
        if i < n {
            var tail = Vector(repeating: -.infinity)
            for k in 0..<(n - i) { tail[k] = x[i + k] - shift }
            let e = exp(tail)
            for k in 0..<(n - i) { out[i + k] = e[k]; total += e[k] }
        }
        return total
    }

    /// The largest of `n` values.
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var i = 0
        var m = Vector(repeating: -.infinity)
        while i + Vector.scalarCount <= n {
            let v = load(x + i)
            m = m.replacing(with: v, where: v .> m)
            i += Vector.scalarCount
        }
        var result = m.max()
        while i < n { result = Swift.max(result, x[i]); i += 1 }
        return result
    }

    /// y += scale · x over `n` scalars.
    @inline(__always)
    static func addScaled(_ x: UnsafePointer<Float>, scale: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            store(load(y + i) + scale * load(x + i), y + i)
            i += Vector.scalarCount
        }
        while i < n { y[i] += scale * x[i]; i += 1 }
    }

    /// y = scale · x over `n` scalars.
    @inline(__always)
    static func scale(_ x: UnsafePointer<Float>, by scale: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            store(scale * load(x + i), y + i)
            i += Vector.scalarCount
        }
        while i < n { y[i] = scale * x[i]; i += 1 }
    }

    /// Σ a[i] · b[i] over `n` scalars.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        var i = 0
        var sum = Vector(repeating: 0)
        while i + Vector.scalarCount <= n {
            sum += load(a + i) * load(b + i)
            i += Vector.scalarCount
        }
        var total = sum.sum()
        while i < n { total += a[i] * b[i]; i += 1 }
        return total
    }

    /// x[i] = e^x[i] in place over `n` scalars.
    static func exp(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            store(exp(load(x + i)), x + i)
            i += Vector.scalarCount
        }
        if i < n {
            var tail = Vector(repeating: 0)
            for k in 0..<(n - i) { tail[k] = x[i + k] }
            let e = exp(tail)
            for k in 0..<(n - i) { x[i + k] = e[k] }
        }
    }
}
