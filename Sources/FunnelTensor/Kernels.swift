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
        // Fused multiply-adds throughout (`addingProduct`): the compiler does not fuse a * b + c
        // on its own, and the polynomial is a chain of them.
        let magicScalar: Float = 12_582_912
        let magic = Vector(repeating: magicScalar)
        let t = magic.addingProduct(v, Vector(repeating: 1.442_695_04))
        let n = t - magic
        let r = v.addingProduct(n, Vector(repeating: -0.693_359_375)).addingProduct(n, Vector(repeating: 2.121_944_4e-4))
        var p = Vector(repeating: 1.987_569_15e-4)
        for c: Float in [1.398_199_950_7e-3, 8.333_451_907_3e-3, 4.166_579_589_4e-2, 1.666_666_545_9e-1, 5.000_000_120_1e-1] {
            p = Vector(repeating: c).addingProduct(p, r)
        }
        p = (r + 1).addingProduct(p, r * r)
        let integer = unsafeBitCast(t, to: SIMD8<Int32>.self) &- Int32(bitPattern: magicScalar.bitPattern)
        // Below the clamp, 0: a logit masked with −∞ must weigh nothing, and e^−87.3 divided by
        // a softmax's sum would be subnormal, which every later product reads ~100x slower.
        return (p * unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)).replacing(with: 0, where: x .< low)
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
        // Four running maxima, so that each step does not wait on the previous comparison.
        var m0 = Vector(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
        let width = Vector.scalarCount
        while i + 4 * width <= n {
            m0 = larger(m0, load(x + i))
            m1 = larger(m1, load(x + i + width))
            m2 = larger(m2, load(x + i + 2 * width))
            m3 = larger(m3, load(x + i + 3 * width))
            i += 4 * width
        }
        while i + width <= n {
            m0 = larger(m0, load(x + i))
            i += width
        }
        var result = larger(larger(m0, m1), larger(m2, m3)).max()
        while i < n { result = Swift.max(result, x[i]); i += 1 }
        return result
    }

    /// The lane-wise larger of `a` and `b` (one `vmaxps`).
    @inline(__always)
    static func larger(_ a: Vector, _ b: Vector) -> Vector {
        a.replacing(with: b, where: b .> a)
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

    /// y = max(x · a + b, 0) · keep (or without the max when `relu` is false), column by column:
    /// batch norm reduced to a per-column affine map, the activation and the dropout mask in one
    /// pass over a row. `keep` may be nil (nothing dropped).
    @inline(__always)
    static func affineActivation(_ x: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, relu: Bool,
                                 keep: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let zero = Vector(repeating: 0)
        while i + Vector.scalarCount <= n {
            var v = load(x + i) * load(a + i) + load(b + i)
            if relu { v = v.replacing(with: zero, where: v .< zero) }
            if let keep { v *= load(keep + i) }
            store(v, y + i)
            i += Vector.scalarCount
        }
        while i < n {
            var v = x[i] * a[i] + b[i]
            if relu { v = max(v, 0) }
            y[i] = v * (keep?[i] ?? 1)
            i += 1
        }
    }

    /// sum += x − shift and sumOfSquares += (x − shift)²: one pass for a column's mean and
    /// variance, shifted by a sample of the column so that the squares do not cancel.
    @inline(__always)
    static func addShiftedMoments(_ x: UnsafePointer<Float>, shift: UnsafePointer<Float>, sum: UnsafeMutablePointer<Float>,
                                  sumOfSquares: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            let d = load(x + i) - load(shift + i)
            store(load(sum + i) + d, sum + i)
            store(load(sumOfSquares + i) + d * d, sumOfSquares + i)
            i += Vector.scalarCount
        }
        while i < n {
            let d = x[i] - shift[i]
            sum[i] += d
            sumOfSquares[i] += d * d
            i += 1
        }
    }

    /// The two column sums batch norm's backward pass needs: sumDz += dz and
    /// sumDzXhat += dz · x̂, with x̂ = (x − mean) · rstd.
    @inline(__always)
    static func addNormalizedGradientSums(_ dz: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                          rstd: UnsafePointer<Float>, sumDz: UnsafeMutablePointer<Float>,
                                          sumDzXhat: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            let d = load(dz + i)
            store(load(sumDz + i) + d, sumDz + i)
            store(load(sumDzXhat + i) + d * (load(x + i) - load(mean + i)) * load(rstd + i), sumDzXhat + i)
            i += Vector.scalarCount
        }
        while i < n {
            sumDz[i] += dz[i]
            sumDzXhat[i] += dz[i] * (x[i] - mean[i]) * rstd[i]
            i += 1
        }
    }

    /// dz ← c1 · (dz − meanDz − (x − mean) · c3) in place: batch norm's input gradient.
    @inline(__always)
    static func batchNormInputGradient(_ dz: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                       meanDz: UnsafePointer<Float>, c1: UnsafePointer<Float>, c3: UnsafePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            let v = load(c1 + i) * (load(dz + i) - load(meanDz + i) - (load(x + i) - load(mean + i)) * load(c3 + i))
            store(v, dz + i)
            i += Vector.scalarCount
        }
        while i < n {
            dz[i] = c1[i] * (dz[i] - meanDz[i] - (x[i] - mean[i]) * c3[i])
            i += 1
        }
    }

    /// y = a · b + c over `n` scalars (`y` may be `c`).
    @inline(__always)
    static func multiplyAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
                            _ y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + Vector.scalarCount <= n {
            store(load(a + i) * load(b + i) + load(c + i), y + i)
            i += Vector.scalarCount
        }
        while i < n { y[i] = a[i] * b[i] + c[i]; i += 1 }
    }

    /// y = a · b + β · y over `n` scalars, β being 0 (y uninitialised) or 1.
    @inline(__always)
    static func multiplyAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, beta: Float,
                            _ y: UnsafeMutablePointer<Float>, count n: Int) {
        if beta == 0 {
            var i = 0
            while i + Vector.scalarCount <= n {
                store(load(a + i) * load(b + i), y + i)
                i += Vector.scalarCount
            }
            while i < n { y[i] = a[i] * b[i]; i += 1 }
        } else {
            multiplyAdd(a, b, y, y, count: n)
        }
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

    /// out[i] = 1 / (1 + e^−x[i]) over `n` scalars (`out` may be `x`); the vector exp clamps its
    /// argument, so no lane overflows.
    static func sigmoid(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let one = Vector(repeating: 1)
        while i + Vector.scalarCount <= n {
            store(one / (one + exp(-load(x + i))), out + i)
            i += Vector.scalarCount
        }
        while i < n {
            out[i] = Graph.sigmoid(x[i])
            i += 1
        }
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
