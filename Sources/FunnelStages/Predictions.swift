/// A ranker's predictions: one row per candidate, one column per objective.
public struct Predictions: Sendable, Equatable {
    public let objectives: [Objective]
    /// `count × objectives.count` values, row-major.
    public private(set) var values: [Double]

    public init(objectives: [Objective], values: [Double]) {
        precondition(!objectives.isEmpty && values.count % objectives.count == 0,
                     "\(values.count) predictions do not fill rows of \(objectives.count) objectives")
        self.objectives = objectives
        self.values = values
    }

    /// A single-objective prediction per candidate.
    public init(_ objective: Objective, _ values: [Double]) {
        self.init(objectives: [objective], values: values)
    }

    public var count: Int { values.count / objectives.count }

    /// The prediction of `objective` for candidate `row`, nil when the ranker does not predict it.
    public func value(_ row: Int, _ objective: Objective) -> Double? {
        objectives.firstIndex(of: objective).map { values[row * objectives.count + $0] }
    }

    /// Every candidate's prediction of `objective`, nil when the ranker does not predict it.
    public func column(_ objective: Objective) -> [Double]? {
        guard let k = objectives.firstIndex(of: objective) else { return nil }
        return (0..<count).map { values[$0 * objectives.count + k] }
    }

    /// Whether every value is finite and within its objective's range.
    public var isValid: Bool {
        values.indices.allSatisfy { i in
            let v = values[i]
            return v.isFinite && (objectives[i % objectives.count].isProbability ? (0...1).contains(v) : v >= 0)
        }
    }
}
