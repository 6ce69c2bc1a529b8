import CMatrixKernels

/// A weight matrix rounded to bfloat16 and laid out for the AMX tile kernel: packed once per
/// parameter value (`Parameter.bfloat16Weights`) and read by every request after.
final class BFloat16Weights: @unchecked Sendable {
    let rows: Int
    let columns: Int
    private let packed: UnsafeMutablePointer<UInt16>

    /// Packs a `[rows, columns]` matrix.
    init(_ weight: Tensor) {
        ensure(weight.rank == 2, "bfloat16 weights need a matrix, got shape \(weight.shape)")
        (rows, columns) = (weight.shape[0], weight.shape[1])
        packed = .allocate(capacity: max(1, funnel_bf16_packed_count(rows, columns)))
        weight.scalars.withUnsafeBufferPointer { funnel_bf16_pack($0.baseAddress!, rows, columns, columns, packed) }
    }

    deinit { packed.deallocate() }

    /// Whether the bfloat16 tile kernel runs here: AMX-BF16 on the CPU, allowed by the kernel.
    static let isAvailable = funnel_amx_bf16_available() != 0

    /// c = (a · W + β · c) · scale + shift, column by column, clamped at 0 with `relu`, for `m`
    /// rows of `a` (rows `lda` apart, `rows` scalars each), β 0 or 1; nil scale and shift
    /// mean 1 and 0. The rows split across threads, each with scratch from `workspace`.
    func product(m: Int, a: UnsafePointer<Float>, lda: Int, beta: Float, c: UnsafeMutablePointer<Float>,
                 scale: [Float]?, shift: [Float]?, relu: Bool, in workspace: Workspace) {
        let columns = columns, rows = rows, packed = packed
        ensure((scale?.count ?? columns) == columns && (shift?.count ?? columns) == columns,
               "bfloat16 product: the epilogue needs \(columns) columns")
        let chunks = Compute.chunkCount(m, minimumChunk: 64)
        let scratchCount = (funnel_amx_scratch_count(Compute.chunkSize(m, chunks: chunks), rows) + 1) / 2
        let scratch = workspace.matrix(rows: chunks, columns: scratchCount)
        withOptionalBuffer(scale) { scale in
            withOptionalBuffer(shift) { shift in
                Compute.parallel(m, chunks: chunks) { chunk, range in
                    let buffer = UnsafeMutableRawPointer(scratch.base + chunk * scratchCount).assumingMemoryBound(to: UInt16.self)
                    funnel_amx_gemm(range.count, columns, rows, a + range.lowerBound * lda, lda, packed, beta,
                                    c + range.lowerBound * columns, columns, buffer, scale, shift, relu ? 1 : 0)
                }
            }
        }
    }
}

/// `body` with the scalars' address, or nil without them.
private func withOptionalBuffer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// The arithmetic a forward pass multiplies matrices in.
public enum Precision: String, Codable, Sendable, CaseIterable {
    /// float32 throughout: the training graph's numbers.
    case float32
    /// Inputs and weights of large products rounded to bfloat16 (8 significant bits), sums in
    /// float32, on CPUs with AMX-BF16; elsewhere float32. Scores move by about 1e-2 relative.
    case bfloat16

    /// Whether bfloat16 products run on this CPU.
    public static var bfloat16IsAvailable: Bool { BFloat16Weights.isAvailable }
}
