import CBLAS
import Foundation

/// Which OpenBLAS kernel set runs the matrix products.
///
/// OpenBLAS picks its kernels when the library loads, from the CPU model it recognises. Older
/// releases (Debian 12 ships 0.3.21) do not recognise AMD Zen 4 and run it with the AVX2
/// "Haswell" kernels although the CPU has AVX-512; the "SkylakeX" kernels are about 1.5x faster
/// there. The choice can only be made through `OPENBLAS_CORETYPE` before the process starts.
public enum BLASKernel {
    /// The number of threads OpenBLAS will use.
    public static var threadCount: Int {
        Int(openblas_get_num_threads())
    }

    /// The kernel set OpenBLAS is using.
    public static var current: String {
        String(cString: openblas_get_corename())
    }

    /// A better kernel set than the current one for this CPU, if there is one and the user has
    /// not chosen one through `OPENBLAS_CORETYPE`.
    public static var recommended: String? {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              ["haswell", "zen"].contains(current.lowercased()),
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) ? "SKYLAKEX" : nil
    }

    /// Restarts the current executable with the recommended kernel set, once; returns when
    /// there is nothing to change or the restart fails.
    public static func restartWithRecommendedKernelIfNeeded() {
        guard let core = recommended, ProcessInfo.processInfo.environment["FUNNEL_BLAS_RESTARTED"] == nil else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("FUNNEL_BLAS_RESTARTED", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the current kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
