import ArgumentParser
import Foundation
import FunnelTensor

/// Reports what the numeric core runs on and checks that it computes right.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the CPU's features, the BLAS library and kernel set in use, and check its products.",
        discussion: """
        The kernel set is chosen by what the CPU can do (AVX-512, AVX2 with FMA, AVX), not by its model name: OpenBLAS is moved to the best class its features allow when the set it picked by itself is of a lesser one. An explicit OPENBLAS_CORETYPE is respected when the CPU can run it. FUNNEL_BLAS_LIBRARY loads another CBLAS library (such as BLIS, libblis.so.4) instead of OpenBLAS. The command exits with status 1 when the kernels in use are not the best for this CPU or compute wrong products.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Only list the OpenBLAS kernel sets this CPU can run, one a line (the test script runs the numeric suites under each).")
    var runnableKernels = false

    func run() throws {
        global.apply()
        let library = BLASLibrary.shared
        if runnableKernels {
            library.runnableKernels().forEach { print($0) }
            return
        }
        let features = CPUFeatures.current
        print("CPU features:    \(features.map { "\($0) (best kernel class: \(KernelClass.best(for: $0)))" } ?? "unknown (no flags in /proc/cpuinfo)")")
        print("BLAS library:    \(library.path)\(library.build.map { " — \($0)" } ?? "")")
        print("library's pick:  \(library.pickedKernel ?? "unknown")")
        print("kernel in use:   \(library.summary)")
        if let notice = library.choice.notice { print("notice:          \(notice)") }
        print("threads:         \(Compute.threads)\(Compute.blasSplitsProducts ? " (products split across them, BLAS single-threaded in each)" : "")")

        let error = BLASSelfCheck.maximumRelativeError()
        let correct = error < 1e-4
        print("products:        \(correct ? "correct" : "WRONG") (largest relative error \(String(format: "%.1e", error)) against a double-precision loop)")
        print("sgemm 1024³:     \(String(format: "%.0f", gflops())) GFLOP/s")
        print("bfloat16:        \(Precision.bfloat16IsAvailable ? "AMX-BF16 tiles (scoring with --precision bfloat16)" : "not available (no AMX-BF16 tiles); scoring runs in float32")")
        if !correct { throw CommandFailure("the BLAS kernels in use compute wrong products on this CPU") }
        if library.isBest()?.isBest == false {
            throw CommandFailure("the kernels in use are not the best for this CPU (see 'kernel in use' above)")
        }
    }

    /// The best of a few timed 1024³ products.
    private func gflops() -> Double {
        var generator = SeededGenerator(seed: 1)
        let a = Tensor.randomNormal(shape: [1024 * 1024], generator: &generator).scalars
        let b = Tensor.randomNormal(shape: [1024 * 1024], generator: &generator).scalars
        var c = [Float](repeating: 0, count: 1024 * 1024)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(transposeA: false, transposeB: false, m: 1024, n: 1024, k: 1024, a: a, b: b, c: &c)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * pow(1024, 3) / best / 1e9
    }
}
