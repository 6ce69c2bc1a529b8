import CThreadState
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

    /// Whether products are split across Funnel's own threads, each running single-threaded
    /// BLAS, instead of BLAS's threads (which spin between calls and take a core from the
    /// elementwise kernels). On with more than one thread; `FUNNEL_SPLIT_PRODUCTS=0` turns it off.
    nonisolated(unsafe) public private(set) static var blasSplitsProducts = false

    /// Sets the number of threads for BLAS and the parallel kernels.
    public static func setThreads(_ n: Int) {
        ensure(n >= 1, "thread count must be at least 1, got \(n)")
        threadCount = n
        blasSplitsProducts = n > 1 && getenv("FUNNEL_SPLIT_PRODUCTS").map { String(cString: $0) } != "0"
        BLASLibrary.shared.threads = blasSplitsProducts ? 1 : n
    }

    /// Applies the defaults once, before the first graph runs: loads the BLAS library, which
    /// takes `threads` as it loads (OpenBLAS otherwise starts with one thread per core, and results
    /// would depend on the machine).
    ///
    /// Freed tensor memory stays in the process for reuse, and threads share one malloc arena
    /// (Linux, glibc; `CMalloc` sets both as the library loads, before any thread has an arena):
    /// training frees and allocates the same multi-megabyte buffers every step, and glibc's
    /// defaults hand them back to the kernel, so every step paid page faults to get them again;
    /// a worker thread's own arena is a heap of at most 64 MiB, so tensors that outgrew it (every
    /// async command steps on such a thread) were mapped and unmapped afresh each step (DIN:
    /// 16,000 page faults a step). `FUNNEL_MALLOC_TUNING=0` opts out.
    static let configured: Void = {
        _ = BLASLibrary.shared
        _ = funnel_malloc_tuned()   // also keeps the settings' object file in every link
    }()

    /// How many chunks `parallel` splits `count` items into: one per thread, but no chunk
    /// smaller than `minimumChunk` items, so small work stays on the calling thread; one inside
    /// a chunk of an outer `parallel`, whose split already occupies the threads.
    @inlinable
    public static func chunkCount(_ count: Int, minimumChunk: Int) -> Int {
        funnel_parallel_depth() > 0 ? 1 : max(1, min(threads, count / max(1, minimumChunk)))
    }

    /// Runs `body(chunk, range)` over `0..<count` split into `chunks` contiguous ranges, on
    /// separate threads when there is more than one (and this is not already a chunk of an outer
    /// `parallel`: then the chunks run in turn here). Chunks must write disjoint memory.
    @inlinable
    public static func parallel(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        let size = chunkSize(count, chunks: chunks)
        // With size rounded up, the last chunks may start past the end: they get empty ranges.
        @Sendable func range(_ c: Int) -> Range<Int> { min(count, c * size)..<min(count, c * size + size) }
        if funnel_parallel_depth() > 0 {
            for c in 0..<chunks { body(c, range(c)) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            // Each chunk touches a disjoint range, so sharing the closure across threads is safe.
            nonisolated(unsafe) let run = escaping
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                funnel_enter_parallel()
                run(c, range(c))
                funnel_leave_parallel()
            }
        }
    }

    /// The items in each chunk when `parallel` splits `count` items into `chunks` (the last may
    /// hold fewer), for callers that give each chunk scratch of its own.
    @inlinable
    public static func chunkSize(_ count: Int, chunks: Int) -> Int {
        (count + chunks - 1) / max(1, chunks)
    }

    /// The fewest rows of `columns` values worth a thread of their own in a light elementwise
    /// pass (normalising, pooling): about 32k values, below which handing a chunk to another
    /// thread costs more than it saves.
    @inlinable
    public static func minimumRows(columns: Int) -> Int {
        max(1, 32_768 / max(1, columns))
    }

    /// `parallel` with the chunk count chosen by `chunkCount`.
    @inlinable
    public static func parallel(_ count: Int, minimumChunk: Int, _ body: (Int, Range<Int>) -> Void) {
        parallel(count, chunks: chunkCount(count, minimumChunk: minimumChunk), body)
    }
}
