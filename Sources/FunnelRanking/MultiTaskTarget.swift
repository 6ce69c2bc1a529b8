import FunnelEval
import FunnelStages
import FunnelTensor

/// What one task of a multi-task network learns.
public struct MultiTaskTarget: Sendable {
    public var name: String
    /// Per row, 1 for a positive and 0 otherwise: what validation AUC scores.
    public var outcomes: [Float]
    /// Per row, what binary cross-entropy fits (the outcome, or a soft label) and its weight
    /// (1 when `weights` is nil).
    public var targets: [Float]
    public var weights: [Float]?

    /// A task whose loss fits its 0/1 outcomes.
    public init(name: String, outcomes: [Float], weights: [Float]? = nil) {
        self.init(name: name, outcomes: outcomes, targets: outcomes, weights: weights)
    }

    public init(name: String, outcomes: [Float], targets: [Float], weights: [Float]?) {
        (self.name, self.outcomes, self.targets, self.weights) = (name, outcomes, targets, weights)
    }
}

extension MultiTaskTarget {
    /// The objectives a multi-task model of `examples` learns: those `configured` (all by
    /// default) that label at least ten positives and one negative among the training rows. An
    /// objective configured by name that the examples do not label is refused.
    static func objectives(_ examples: RankingExamples, configured: [Objective]?, model: String) throws -> [Objective] {
        let trainingRows = examples.trainingRows
        var objectives: [Objective] = []
        for objective in configured ?? Objective.allCases {
            guard let labels = examples.labels[objective] else {
                if configured != nil { throw StageError("\(model): the examples have no '\(objective.rawValue)' labels") }
                continue
            }
            let positives = trainingRows.reduce(0) { $0 + (labels[$1] > 0 ? 1 : 0) }
            if positives >= 10 && positives < trainingRows.count { objectives.append(objective) }
        }
        guard !objectives.isEmpty else {
            throw StageError("\(model): no objective has both positives and negatives among the \(trainingRows.count) training exposures")
        }
        return objectives
    }

    /// The task of `objective` from its `labels` (0/1, or seconds for watch time): the loss fits
    /// `fitted` (soft values of the same kind, the labels when nil), each row weighted by
    /// `weights`. Watch time T, in units of the mean watched T of the training rows (returned),
    /// is fitted as a label T/(T + 1) of weight T + 1: a positive of weight T plus a negative of
    /// weight 1 per exposure, whose learnt odds are the expected watch time.
    static func task(_ objective: Objective, labels: [Float], fitted: [Float]? = nil, trainingRows: Range<Int>,
                     weights: [Float]?) -> (task: MultiTaskTarget, watchTimeScale: Float?) {
        let outcomes: [Float] = labels.map { $0 > 0 ? 1 : 0 }
        let fitted = fitted ?? labels
        guard !objective.isProbability else {
            return (MultiTaskTarget(name: objective.rawValue, outcomes: outcomes, targets: fitted, weights: weights), nil)
        }
        let watched = trainingRows.map { labels[$0] }.filter { $0 > 0 }
        let scale = watched.reduce(0, +) / Float(watched.count)
        let units = fitted.map { $0 / scale }
        let unitWeights = units.indices.map { (units[$0] + 1) * (weights?[$0] ?? 1) }
        return (MultiTaskTarget(name: objective.rawValue, outcomes: outcomes, targets: units.map { $0 / ($0 + 1) }, weights: unitWeights), scale)
    }

    /// Per objective, the validation AUC, per-user AUC and, for probabilities, log loss and
    /// expected calibration error (deciles) of what `prediction` serves from the logits `scores`
    /// (one list per task, over `validationRows`).
    static func validationMetrics(_ scores: [[Float]], tasks: [MultiTaskTarget], objectives: [Objective], validationRows: Range<Int>,
                                  users: [String], prediction: (Float, Objective) -> Double) -> [String: Double] {
        var interned: [String: Int32] = [:]
        let groups = validationRows.map { row in
            let user = users[row]
            if let id = interned[user] { return id }
            interned[user] = Int32(interned.count)
            return Int32(interned.count - 1)
        }
        var metrics: [String: Double] = [:]
        for (k, objective) in objectives.enumerated() {
            let labels = Array(tasks[k].outcomes[validationRows])
            metrics["\(objective.rawValue).auc"] = Metrics.auc(scores: scores[k], labels: labels)
            metrics["\(objective.rawValue).gauc"] = Metrics.groupAUC(scores: scores[k], labels: labels, groups: groups)
            if objective.isProbability {
                let probabilities = scores[k].map { Float(prediction($0, objective)) }
                metrics["\(objective.rawValue).logloss"] = Metrics.logLoss(probabilities: probabilities, labels: labels)
                metrics["\(objective.rawValue).ece"] = Calibration(probabilities: probabilities, labels: labels).expectedError
            }
        }
        return metrics
    }
}
