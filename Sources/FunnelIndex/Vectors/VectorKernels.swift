/// The distance kernels of every vector search, over raw buffers with 16-lane SIMD, fused
/// multiply-adds and four independent accumulators (so additions do not wait on each other); the
/// tail is scalar. The final reduction halves the vector step by step: `SIMD16.sum()` compiles
/// to a long scalar sequence that, at dimension 64, cost more than the products themselves.
public enum VectorKernels {
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= n {
            s0.addProduct(load(a, i), load(b, i))
            s1.addProduct(load(a, i &+ 16), load(b, i &+ 16))
            s2.addProduct(load(a, i &+ 32), load(b, i &+ 32))
            s3.addProduct(load(a, i &+ 48), load(b, i &+ 48))
            i &+= 64
        }
        while i &+ 16 <= n {
            s0.addProduct(load(a, i), load(b, i))
            i &+= 16
        }
        var total = sum((s0 + s1) + (s2 + s3))
        while i < n {
            total += a[i] * b[i]
            i &+= 1
        }
        return total
    }

    @inlinable
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= n {
            let d0 = load(a, i) - load(b, i), d1 = load(a, i &+ 16) - load(b, i &+ 16)
            let d2 = load(a, i &+ 32) - load(b, i &+ 32), d3 = load(a, i &+ 48) - load(b, i &+ 48)
            s0.addProduct(d0, d0)
            s1.addProduct(d1, d1)
            s2.addProduct(d2, d2)
            s3.addProduct(d3, d3)
            i &+= 64
        }
        while i &+ 16 <= n {
            let d = load(a, i) - load(b, i)
            s0.addProduct(d, d)
            i &+= 16
        }
        var total = sum((s0 + s1) + (s2 + s3))
        while i < n {
            let d = a[i] - b[i]
            total += d * d
            i &+= 1
        }
        return total
    }

    @inlinable
    static func load(_ p: UnsafePointer<Float>, _ offset: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// The sum of the lanes, by halves: 16 → 8 → 4 → 2 → 1.
    @inlinable @inline(__always)
    static func sum(_ v: SIMD16<Float>) -> Float {
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }

    /// Scales `v` to unit length in place (a zero vector stays zero).
    public static func normalize(_ v: UnsafeMutablePointer<Float>, _ n: Int) {
        let norm = dot(v, v, n).squareRoot()
        guard norm > 0 else { return }
        for i in 0..<n { v[i] /= norm }
    }
}
