/// What Funnel does with OpenBLAS's kernel set once the library has loaded: a pure function of
/// the CPU's features, the set OpenBLAS picked, and what the user asked for.
///
/// OpenBLAS picks its kernels from a table of CPU models, so a model newer than the release
/// (or one it misreads) gets a lesser set, down to plain SSE, although the CPU could run faster
/// ones. Funnel instead asks what the CPU can do and moves OpenBLAS to the best class that allows
/// (`KernelClass`), keeping OpenBLAS's own pick when it is already of that class (it may be
/// tuned for the model, as "Zen" is). An explicit `OPENBLAS_CORETYPE` is respected when the CPU
/// can run it; one the CPU cannot run, or that this OpenBLAS does not have, is replaced and
/// named in a notice, never left to fault or to run slowly unseen.
public struct KernelChoice: Equatable, Sendable {
    /// The kernel set to move OpenBLAS to, or nil to keep the one in use.
    public var switchTo: String?
    /// One line for standard error when Funnel did not do what the user asked.
    public var notice: String?

    public init(switchTo: String? = nil, notice: String? = nil) {
        self.switchTo = switchTo
        self.notice = notice
    }

    /// - Parameters:
    ///   - features: the CPU's features, nil when unknown (then nothing is changed).
    ///   - inUse: the kernel set OpenBLAS runs after loading (`openblas_get_corename`).
    ///   - requested: the value of `OPENBLAS_CORETYPE`, if set.
    ///   - available: whether this OpenBLAS can be moved to a named kernel set in-process.
    public static func decide(features: CPUFeatures?, inUse: String, requested: String?,
                              available: (String) -> Bool) -> KernelChoice {
        guard let features else { return KernelChoice() }
        let best = KernelClass.best(for: features)
        if let requested, let asked = KernelClass(openBLASCore: requested), available(requested) {
            if asked <= best { return KernelChoice() }
            let target = best.openBLASCore
            return KernelChoice(
                switchTo: available(target) ? target : nil,
                notice: "OPENBLAS_CORETYPE=\(requested) needs \(asked) (\(asked.requiredFeatures.joined(separator: ", "))), "
                    + "which this CPU lacks; using \(available(target) ? target : inUse) instead. Unset it to let Funnel choose.")
        }
        // No request, or one this OpenBLAS does not know: choose by the features.
        var target: String?
        if let current = KernelClass(openBLASCore: inUse), current != best, available(best.openBLASCore) {
            target = best.openBLASCore
        }
        let notice = requested.map {
            "OPENBLAS_CORETYPE=\($0) is not a kernel set of this OpenBLAS; using \(target ?? inUse), the best for this CPU's "
                + "\(best) (unset the variable, or name a set such as \(KernelClass.allCases.filter { $0 <= best }.map(\.openBLASCore).joined(separator: ", ")))."
        }
        return KernelChoice(switchTo: target, notice: notice)
    }
}
