/// The widest vector instructions a BLAS kernel set uses on x86-64, in increasing speed.
///
/// Kernels of one class run at about the same speed on any CPU that has the class's features;
/// a CPU runs every class up to the best its features allow, and faults on a higher one.
public enum KernelClass: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    /// SSE only: what OpenBLAS falls back to ("Prescott") on a CPU it does not recognise.
    case sse
    /// 256-bit AVX without FMA (Sandy Bridge, AMD Bulldozer family).
    case avx
    /// AVX2 with fused multiply-add (Haswell and later, AMD Zen 1–3).
    case avx2
    /// AVX-512 foundation with the byte/word, doubleword/quadword, vector-length and conflict
    /// extensions (Skylake-SP and later, AMD Zen 4 and later).
    case avx512

    public static func < (a: KernelClass, b: KernelClass) -> Bool { a.rawValue < b.rawValue }

    /// The CPU flags a kernel set of this class needs.
    public var requiredFeatures: [String] {
        switch self {
        case .sse: ["sse2"]
        case .avx: ["avx"]
        case .avx2: ["avx2", "fma"]
        case .avx512: ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
        }
    }

    /// The best class a CPU with `features` can run.
    public static func best(for features: CPUFeatures) -> KernelClass {
        allCases.last { $0.requiredFeatures.allSatisfy(features.contains) } ?? .sse
    }

    /// The OpenBLAS kernel set Funnel chooses for this class when OpenBLAS's own pick is of a
    /// lower one: the class's reference kernels, which OpenBLAS tunes for no particular model.
    public var openBLASCore: String {
        switch self {
        case .sse: "PRESCOTT"
        case .avx: "SANDYBRIDGE"
        case .avx2: "HASWELL"
        case .avx512: "SKYLAKEX"
        }
    }

    /// The class of an OpenBLAS kernel set, by the name `openblas_get_corename` or
    /// `OPENBLAS_CORETYPE` gives it (any case); nil for a name OpenBLAS does not have on x86-64.
    public init?(openBLASCore name: String) {
        switch name.uppercased() {
        case "SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS": self = .avx512
        case "HASWELL", "ZEN": self = .avx2
        case "SANDYBRIDGE", "BULLDOZER", "PILEDRIVER", "STEAMROLLER", "EXCAVATOR": self = .avx
        case "PRESCOTT", "KATMAI", "COPPERMINE", "NORTHWOOD", "BANIAS", "ATOM", "CORE2", "PENRYN", "DUNNINGTON",
             "NEHALEM", "ATHLON", "OPTERON", "OPTERON_SSE3", "BARCELONA", "NANO", "BOBCAT", "GENERIC":
            self = .sse
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }
}
