/// What a ranker predicts about a candidate: the response of the user shown it.
///
/// The click-like objectives are probabilities within [0, 1]; `watchTime` is an expected
/// number of seconds, never negative.
public enum Objective: String, Codable, CaseIterable, Sendable {
    case click
    case like
    case collect
    case share
    case comment
    case follow
    /// Watched to the end.
    case completion
    case watchTime = "watch-time"

    /// Whether the prediction is a probability (all but `watchTime`).
    public var isProbability: Bool { self != .watchTime }

    /// The objective a configuration names, or an error listing the ones there are.
    public init(named name: String) throws {
        guard let objective = Objective(rawValue: name) else {
            throw StageError("unknown objective '\(name)'; the objectives are \(Objective.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = objective
    }
}

/// Why a stage could not be composed, loaded or run.
public struct StageError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
