import CBLAS
import Dispatch
#if canImport(Glibc)
import CMalloc
import Glibc
#endif

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

    /// Keeps freed tensor memory in the process for reuse (Linux): training frees and allocates
    /// the same multi-megabyte buffers every step, and glibc's defaults hand them back to the
    /// kernel, so every step paid page faults to get them again. Set `FUNNEL_MALLOC_TUNING=0` to opt out.
    static let allocatorTuned: Void = {
        #if canImport(Glibc)
        if getenv("FUNNEL_MALLOC_TUNING").map({ String(cString: $0) }) != "0" {
            _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        }
        #endif
    }()

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
