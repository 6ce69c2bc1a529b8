/// Runs matrix products through `BLAS.gemm` and compares them with a plain triple loop in
/// double precision: every combination of transposes, shapes that do not fill the kernels'
/// blocks, and alpha/beta accumulation. A kernel set that computes wrong results on this CPU
/// (as some OpenBLAS kernels have on processors they misdetect) shows here.
public enum BLASSelfCheck {
    /// The largest error of any product, relative to the largest absolute value of its result.
    public static func maximumRelativeError(seed: UInt64 = 7) -> Double {
        var generator = SeededGenerator(seed: seed)
        var worst = 0.0
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 64, 64), (129, 31, 257), (1, 1000, 96), (300, 200, 3)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = Tensor.randomNormal(shape: [m * k], generator: &generator).scalars
                    let b = Tensor.randomNormal(shape: [k * n], generator: &generator).scalars
                    var c = Tensor.randomNormal(shape: [m * n], generator: &generator).scalars
                    let (alpha, beta): (Float, Float) = (0.75, 0.5)
                    var expected = c.map { Double(beta) * Double($0) }
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                sum += Double(a[transposeA ? p * m + i : i * k + p]) * Double(b[transposeB ? j * k + p : p * n + j])
                            }
                            expected[i * n + j] += Double(alpha) * sum
                        }
                    }
                    BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                              alpha: alpha, a: a, b: b, beta: beta, c: &c)
                    let scale = max(1, expected.map(abs).max() ?? 1)
                    for (x, y) in zip(c, expected) { worst = max(worst, abs(Double(x) - y) / scale) }
                }
            }
        }
        return worst
    }
}
