/// Which arm of each experiment one user sees, and its label as logged with every exposure:
/// `holdout`, or `experiment=arm` pairs sorted by experiment and joined by commas (empty when
/// the user is in no experiment).
public struct Assignment: Sendable, Hashable {
    public var isHoldout = false
    /// Arm by experiment name.
    public var arms: [String: String] = [:]

    public init(isHoldout: Bool = false, arms: [String: String] = [:]) {
        self.isHoldout = isHoldout
        self.arms = arms
    }

    /// Reads a logged label back; nil for one that is not a label.
    public init?(label: String) {
        if label == ExperimentPlan.holdoutLabel { self.init(isHoldout: true); return }
        var arms: [String: String] = [:]
        for pair in label.split(separator: ",") {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            arms[String(parts[0])] = String(parts[1])
        }
        self.init(arms: arms)
    }

    public var label: String {
        isHoldout ? ExperimentPlan.holdoutLabel : arms.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
