import Foundation

/// The instruction-set extensions a CPU offers, as the operating system reports them.
///
/// Read from the `flags` line of `/proc/cpuinfo`, which lists only what both the CPU and the
/// kernel support (AVX-512 appears only when the kernel saves its registers), so it is the set a
/// program may actually use.
public struct CPUFeatures: Sendable, Hashable, CustomStringConvertible {
    /// Lower-case flag names as Linux spells them (`avx2`, `fma`, `avx512f`, …).
    public var flags: Set<String>

    public init(_ flags: some Sequence<String>) {
        self.flags = Set(flags.map { $0.lowercased() })
    }

    /// The features listed in the text of `/proc/cpuinfo` (its first `flags` line); nil when the
    /// text has none, as on CPUs other than x86-64.
    public init?(cpuinfo: String) {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        self.init(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// This machine's features; nil where `/proc/cpuinfo` is missing or lists no flags.
    public static let current: CPUFeatures? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return CPUFeatures(cpuinfo: text)
    }()

    public func contains(_ flag: String) -> Bool { flags.contains(flag) }

    public var description: String {
        let notable = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd",
                       "avx512_bf16", "amx_tile"]
        return notable.filter(contains).joined(separator: " ")
    }
}
