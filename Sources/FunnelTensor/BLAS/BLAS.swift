/// Thin wrappers over the CBLAS routines the core uses, row-major throughout, on the library
/// `BLASLibrary.shared` loads.
public enum BLAS {
    @usableFromInline static let rowMajor: Int32 = 101
    @usableFromInline static let noTranspose: Int32 = 111
    @usableFromInline static let transpose: Int32 = 112

    /// C = alpha * op(A) * op(B) + beta * C, with op(A) of shape [m, k] and op(B) of shape [k, n].
    /// The leading dimensions (scalars from one row to the next) default to dense storage; a
    /// larger one reads or writes a block of columns inside a wider matrix.
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil, split: Bool = true) {
        guard m > 0, n > 0 else { return }
        let ldc = ldc ?? n
        if k == 0 {
            for r in 0..<m {
                let row = c + r * ldc
                if beta == 0 { row.update(repeating: 0, count: n) }
                else if beta != 1 { for j in 0..<n { row[j] *= beta } }
            }
            return
        }
        let chunks = split && Compute.blasSplitsProducts ? Compute.chunkCount(m * n * k, minimumChunk: 1 << 21) : 1
        if chunks > 1 {
            // Rows of C when there are enough of them, else columns: each chunk one single-threaded
            // product on its own thread.
            let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n)
            if m >= 64 * chunks {
                Compute.parallel(m, chunks: chunks) { _, rows in
                    gemm(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                         a: a + rows.lowerBound * (transposeA ? 1 : lda), lda: lda, b: b, ldb: ldb, beta: beta,
                         c: c + rows.lowerBound * ldc, ldc: ldc, split: false)
                }
                return
            } else if n >= 64 * chunks {
                Compute.parallel(n, chunks: chunks) { _, columns in
                    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
                         a: a, lda: lda, b: b + columns.lowerBound * (transposeB ? ldb : 1), ldb: ldb, beta: beta,
                         c: c + columns.lowerBound, ldc: ldc, split: false)
                }
                return
            }
        }
        BLASLibrary.shared.sgemm(rowMajor,
                                 transposeA ? transpose : noTranspose,
                                 transposeB ? transpose : noTranspose,
                                 Int32(m), Int32(n), Int32(k), alpha,
                                 a, Int32(lda ?? (transposeA ? m : k)),
                                 b, Int32(ldb ?? (transposeB ? k : n)),
                                 beta, c, Int32(ldc))
    }
}
