import CMalloc
import Foundation

/// Wall-clock measurement helpers for `funnel bench`.
public enum Measure {
    /// Runs `body` `warmup` times, then `iterations` times, and returns the mean seconds per call.
    public static func seconds(warmup: Int = 3, iterations: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
    }

    /// Per-call latencies in seconds, sorted ascending.
    public static func latencies(warmup: Int = 20, iterations: Int, _ body: () -> Void) -> [Double] {
        for _ in 0..<warmup { body() }
        return (0..<iterations).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }.sorted()
    }

    /// The `q`-quantile of sorted values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }

    /// The process's resident memory now, in MiB (Linux: /proc/self/statm; else the peak).
    public static var residentMemoryMiB: Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return peakMemoryMiB }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Hands freed heap pages back to the kernel (glibc), so that resident memory measured next
    /// counts what is held, not what was held once.
    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }

    /// The fields of a `/proc/…/stat` file (Linux) from the third on, after the parenthesised
    /// command name (which may hold spaces): `[0]` is the state, `[11]` and `[12]` user and system
    /// time in clock ticks, `[16]` the niceness. Nil where there is no such file.
    public static func statFields(_ path: String) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// A process's CPU seconds so far (user and system, all threads), from /proc/<pid>/stat; nil elsewhere.
    public static func cpuSeconds(ofProcess pid: Int) -> Double? {
        guard let fields = statFields("/proc/\(pid)/stat"), fields.count > 12,
              let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The process's peak resident memory in MiB.
    public static var peakMemoryMiB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
