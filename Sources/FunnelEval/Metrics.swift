import Foundation

/// Classification and ranking metrics.
public enum Metrics {
    /// Area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting one half. NaN when either class is absent.
    /// - Complexity: O(n log n)
    public static func auc(scores: [Float], labels: [Float]) -> Double {
        guard scores.count == labels.count else { fatalError("auc: \(scores.count) scores for \(labels.count) labels") }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositives = 0.0
        var positives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1  // 1-based average rank of the tie group
            for k in i...j where labels[order[k]] > 0.5 {
                rankSumPositives += averageRank
                positives += 1
            }
            i = j + 1
        }
        let negatives = Double(scores.count) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSumPositives - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean binary cross-entropy of predicted probabilities, clipped to [ε, 1 − ε] as scikit-learn does.
    public static func logLoss(probabilities: [Float], labels: [Float], epsilon: Double = 1e-7) -> Double {
        guard probabilities.count == labels.count else { fatalError("logLoss: \(probabilities.count) predictions for \(labels.count) labels") }
        guard !labels.isEmpty else { return .nan }
        var total = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(max(Double(p), epsilon), 1 - epsilon)
            total -= Double(y) * Foundation.log(q) + (1 - Double(y)) * Foundation.log(1 - q)
        }
        return total / Double(labels.count)
    }

    /// Group AUC: the AUC within each group (user) that has both classes, weighted by the
    /// group's example count, as in DIN (Zhou et al., 2018). NaN when no group qualifies.
    public static func groupAUC(scores: [Float], labels: [Float], groups: [Int32]) -> Double {
        guard scores.count == labels.count && labels.count == groups.count else {
            fatalError("groupAUC: \(scores.count) scores, \(labels.count) labels and \(groups.count) groups")
        }
        var members: [Int32: [Int]] = [:]
        for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
        var weighted = 0.0, weight = 0.0
        for rows in members.values {
            let value = auc(scores: rows.map { scores[$0] }, labels: rows.map { labels[$0] })
            guard !value.isNaN else { continue }
            weighted += value * Double(rows.count)
            weight += Double(rows.count)
        }
        return weight > 0 ? weighted / weight : .nan
    }
}
