import Foundation
import FunnelTensor
import Testing

/// The kernel choice as a pure function of CPU features, on the feature sets of CPUs no single
/// machine can show, and the library as this process loaded it.
@Suite struct KernelChoiceTests {
    static let sse = ["sse", "sse2", "sse3", "ssse3", "sse4_1", "sse4_2"]
    static let haswell = CPUFeatures(sse + ["avx", "avx2", "fma", "f16c", "bmi2"])
    static let sandyBridge = CPUFeatures(sse + ["avx"])
    static let iceLake = CPUFeatures(sse + ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd",
                                            "avx512vbmi", "avx512_vnni"])
    static let sapphireRapids = CPUFeatures(iceLake.flags.union(["avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"]))
    static let zen4 = CPUFeatures(iceLake.flags.union(["avx512_bf16", "sse4a", "clzero"]))
    static let zen3 = CPUFeatures(haswell.flags.union(["sse4a", "clzero", "vaes"]))
    /// AVX-512 foundation alone (Xeon Phi's subset lacks BW, DQ and VL): not enough for SkylakeX kernels.
    static let knightsLanding = CPUFeatures(haswell.flags.union(["avx512f", "avx512cd", "avx512er", "avx512pf"]))
    static let atom = CPUFeatures(sse)

    /// Every kernel set of Debian's OpenBLAS 0.3.21 can be moved to.
    static let anySet: @Sendable (String) -> Bool = { _ in true }

    @Test func bestClassFollowsTheFeatures() {
        #expect(KernelClass.best(for: Self.sapphireRapids) == .avx512)
        #expect(KernelClass.best(for: Self.iceLake) == .avx512)
        #expect(KernelClass.best(for: Self.zen4) == .avx512)
        #expect(KernelClass.best(for: Self.knightsLanding) == .avx2)
        #expect(KernelClass.best(for: Self.zen3) == .avx2)
        #expect(KernelClass.best(for: Self.haswell) == .avx2)
        #expect(KernelClass.best(for: Self.sandyBridge) == .avx)
        #expect(KernelClass.best(for: Self.atom) == .sse)
        #expect(KernelClass.best(for: CPUFeatures(["avx2"])) == .sse, "AVX2 without FMA or AVX is no AVX2 class")
    }

    /// What OpenBLAS 0.3.21 picks by itself on each CPU, and what Funnel makes of it.
    @Test(arguments: [
        ("Sapphire Rapids", sapphireRapids, "Prescott", "SKYLAKEX"),   // unknown to 0.3.21: SSE fallback
        ("Zen 4", zen4, "Zen", "SKYLAKEX"),                            // known as Zen, its AVX-512 unused
        ("Ice Lake", iceLake, "SkylakeX", nil),
        ("Ice Lake, as Cooperlake", iceLake, "Cooperlake", nil),
        ("Zen 3", zen3, "Zen", nil),                                    // AVX2 class already, tuned for it
        ("Haswell", haswell, "Haswell", nil),
        ("a new AVX2 CPU", haswell, "Prescott", "HASWELL"),
        ("Knights Landing", knightsLanding, "Prescott", "HASWELL"),
        ("Sandy Bridge", sandyBridge, "Sandybridge", nil),
        ("Sandy Bridge, unrecognised", sandyBridge, "Nehalem", "SANDYBRIDGE"),
        ("Atom", atom, "Atom", nil),
    ] as [(String, CPUFeatures, String, String?)])
    func choiceWithoutARequest(cpu: String, features: CPUFeatures, picked: String, expected: String?) {
        let choice = KernelChoice.decide(features: features, inUse: picked, requested: nil, available: Self.anySet)
        #expect(choice == KernelChoice(switchTo: expected), "\(cpu)")
    }

    @Test func aRunnableRequestIsRespected() {
        let lesser = KernelChoice.decide(features: Self.zen4, inUse: "Haswell", requested: "haswell", available: Self.anySet)
        #expect(lesser == KernelChoice())
        let prescott = KernelChoice.decide(features: Self.sapphireRapids, inUse: "Prescott", requested: "PRESCOTT", available: Self.anySet)
        #expect(prescott == KernelChoice())
    }

    @Test func aRequestTheCPUCannotRunIsReplacedWithANotice() {
        let choice = KernelChoice.decide(features: Self.zen3, inUse: "SkylakeX", requested: "SKYLAKEX", available: Self.anySet)
        #expect(choice.switchTo == "HASWELL")
        let notice = try! #require(choice.notice)
        #expect(notice.contains("OPENBLAS_CORETYPE=SKYLAKEX") && notice.contains("avx512") && notice.contains("HASWELL"))
    }

    @Test func anUnknownRequestIsNamedAndTheFeaturesDecide() {
        // OpenBLAS ignores a name it lacks and picks by its table: Prescott on an unknown CPU.
        let choice = KernelChoice.decide(features: Self.sapphireRapids, inUse: "Prescott", requested: "SKYLAKE-X", available: Self.anySet)
        #expect(choice.switchTo == "SKYLAKEX")
        let notice = try! #require(choice.notice)
        #expect(notice.contains("OPENBLAS_CORETYPE=SKYLAKE-X is not a kernel set") && notice.contains("SKYLAKEX"))
        // A name OpenBLAS knows but this build lacks (no SAPPHIRERAPIDS in 0.3.21) counts as unknown.
        let missing = KernelChoice.decide(features: Self.sapphireRapids, inUse: "Prescott", requested: "SAPPHIRERAPIDS",
                                          available: { $0 != "SAPPHIRERAPIDS" })
        #expect(missing.switchTo == "SKYLAKEX" && missing.notice != nil)
    }

    @Test func nothingChangesWithoutFeaturesOrAWayToSwitch() {
        #expect(KernelChoice.decide(features: nil, inUse: "Prescott", requested: nil, available: Self.anySet) == KernelChoice())
        #expect(KernelChoice.decide(features: Self.zen4, inUse: "Zen", requested: nil, available: { _ in false }) == KernelChoice())
        // A kernel set newer than this table (its class unknown) is the library's informed pick.
        #expect(KernelChoice.decide(features: Self.zen4, inUse: "ZEN5", requested: nil, available: Self.anySet) == KernelChoice())
    }

    @Test func featuresAreReadFromCPUInfo() throws {
        let text = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512bw avx512dq avx512vl avx512cd amx_tile
        bugs\t\t: spectre_v1

        processor\t: 1
        flags\t\t: fpu sse sse2
        """
        let features = try #require(CPUFeatures(cpuinfo: text))
        #expect(KernelClass.best(for: features) == .avx512)
        #expect(features.contains("amx_tile") && !features.contains("bugs"))
        #expect(CPUFeatures(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd\n") == nil)
    }
}

@Suite struct BLASLibraryTests {
    /// The kernel set this process runs is the one asked for when the CPU can run it, else of the
    /// best class the CPU's features allow. `scripts/test` runs this suite under each class.
    @Test func kernelIsTheRequestedOrTheBest() throws {
        let library = BLASLibrary.shared
        guard library.vendor == .openBLAS, let features = CPUFeatures.current else { return }
        let kernel = try #require(library.kernel)
        let best = KernelClass.best(for: features)
        if let requested = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
           let asked = KernelClass(openBLASCore: requested), asked <= best {
            #expect(kernel.uppercased() == requested.uppercased())
        } else {
            #expect(KernelClass(openBLASCore: kernel) == best, "\(kernel) for a CPU with \(features)")
        }
    }

    /// A product through the core equals a plain loop, whatever kernels run it.
    @Test func gemmMatchesANaiveProduct() {
        var generator = SeededGenerator(seed: 3)
        let (m, n, k) = (37, 70, 129)
        let a = Tensor.randomNormal(shape: [k, m], generator: &generator)   // used transposed
        let b = Tensor.randomNormal(shape: [k, n], generator: &generator)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.gemm(transposeA: true, transposeB: false, m: m, n: n, k: k, a: a.scalars, b: b.scalars, c: &c)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += a.scalars[p * m + i] * b.scalars[p * n + j] }
                worst = max(worst, abs(sum - c[i * n + j]))
            }
        }
        #expect(worst < 1e-3, "largest difference \(worst) under \(BLASLibrary.shared.kernel ?? "?")")
        #expect(BLASSelfCheck.maximumRelativeError() < 1e-5)
    }

    @Test func aMissingLibraryIsNamedWithTheFix() {
        let error = #expect(throws: BLASLibraryError.self) { try BLASLibrary.open(["libfunnel-no-such-blas.so.9"]) }
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.contains("libfunnel-no-such-blas.so.9") && message.contains("apt-get install libopenblas0-pthread"))
    }

    @Test func aLibraryWithoutCBLASIsRefused() {
        let error = #expect(throws: BLASLibraryError.self) { try BLASLibrary.open(["libc.so.6"]) }
        #expect(error.map(String.init(describing:))?.contains("no cblas_sgemm") == true)
    }
}
