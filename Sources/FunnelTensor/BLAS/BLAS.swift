/// Thin wrappers over the CBLAS routines the core uses, row-major throughout, on the library
/// `BLASLibrary.shared` loads.
public enum BLAS {
    @usableFromInline static let rowMajor: Int32 = 101
    @usableFromInline static let noTranspose: Int32 = 111
    @usableFromInline static let transpose: Int32 = 112

    /// C = alpha * op(A) * op(B) + beta * C, with op(A) of shape [m, k] and op(B) of shape [k, n].
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) }
            else if beta != 1 { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        BLASLibrary.shared.sgemm(rowMajor,
                                 transposeA ? transpose : noTranspose,
                                 transposeB ? transpose : noTranspose,
                                 Int32(m), Int32(n), Int32(k), alpha,
                                 a, Int32(transposeA ? m : k),
                                 b, Int32(transposeB ? k : n),
                                 beta, c, Int32(n))
    }
}
