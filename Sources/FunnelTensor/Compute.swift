import CBLAS
import Dispatch

/// Process-wide compute settings: how many threads BLAS and the parallel elementwise
/// kernels may use.
public enum Compute {
    nonisolated(unsafe) private static var threadCount = 1

    /// The number of threads numeric work may use (1 by default, so runs are reproducible).
    public static var threads: Int { threadCount }

    /// Sets the number of threads for BLAS and the parallel kernels.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        threadCount = n
        openblas_set_num_threads(Int32(n))
    }

    /// Runs `body` over `0..<count` split into contiguous chunks, in parallel when more than
    /// one thread is configured and the work is large enough to pay for it.
    @inlinable
    public static func parallelChunks(_ count: Int, minimumChunk: Int = 32_768,
                                      _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, count / minimumChunk))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { escaping in
            // Each chunk touches a disjoint range, so sharing the closure across threads is safe.
            nonisolated(unsafe) let run = escaping
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * size
                run(start..<min(count, start + size))
            }
        }
    }
}
