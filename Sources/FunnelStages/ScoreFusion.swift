import Foundation

/// How a ranker's predictions become the one relevance the feed orders by, as the
/// `[pipeline.fusion]` table configures it. Only the objectives the ranker predicts count; a
/// ranker that predicts none of the weighted ones is ordered by its click prediction (else its
/// first objective). Watch time enters as log(1 + seconds), so that its scale matches the
/// probabilities'.
public struct ScoreFusion: Codable, Sendable, Equatable {
    public enum Rule: String, Codable, Sendable, CaseIterable {
        /// Σ wᵢ pᵢ.
        case weightedSum = "weighted-sum"
        /// Π (1 + pᵢ)^wᵢ: one objective's gain multiplies the others'.
        case powerProduct = "power-product"
        /// Π pᵢ^wᵢ: click × conversion × price style, every weighted objective required.
        case product
        /// Σ wᵢ / (rankᵢ + offset), rankᵢ the candidate's place among the batch by objective i
        /// (0 the best): robust to how each objective is scaled.
        case rank
    }

    public var rule = Rule.weightedSum
    /// By objective name (`click`, `like`, …, `watch-time`).
    public var weights: [String: Double] = ScoreFusion.defaultWeights
    /// The rank rule's offset.
    public var rankOffset = 10.0

    public static let defaultWeights: [String: Double] = [
        "click": 1, "like": 0.5, "collect": 0.5, "share": 0.5, "comment": 0.5, "follow": 0.5, "completion": 0.5, "watch-time": 0.1,
    ]

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ScoreFusion()
        rule = try c.decodeIfPresent(Rule.self, forKey: .rule) ?? d.rule
        weights = try c.decodeIfPresent([String: Double].self, forKey: .weights) ?? d.weights
        rankOffset = try c.decodeIfPresent(Double.self, forKey: .rankOffset) ?? d.rankOffset
    }

    /// Every objective named and every weight finite, else an error naming it.
    public func validate() throws {
        for (name, weight) in weights.sorted(by: { $0.key < $1.key }) {
            _ = try Objective(named: name)
            guard weight.isFinite else { throw StageError("fusion weight of '\(name)' must be a finite number, got \(weight)") }
        }
        guard rankOffset.isFinite, rankOffset > 0 else { throw StageError("fusion.rankOffset must be a positive number, got \(rankOffset)") }
    }

    /// One relevance per candidate of `predictions`.
    public func fuse(_ predictions: Predictions) -> [Double] {
        let weighted: [(Int, Double)] = predictions.objectives.enumerated().compactMap { k, objective in
            weights[objective.rawValue].flatMap { $0 != 0 ? (k, $0) : nil }
        }
        let count = predictions.count, width = predictions.objectives.count
        guard !weighted.isEmpty else {
            let k = predictions.objectives.firstIndex(of: .click) ?? 0
            return (0..<count).map { predictions.values[$0 * width + k] }
        }
        func value(_ row: Int, _ k: Int) -> Double {
            let v = predictions.values[row * width + k]
            return predictions.objectives[k].isProbability ? v : log1p(max(0, v))
        }
        switch rule {
        case .weightedSum:
            return (0..<count).map { row in weighted.reduce(0) { $0 + $1.1 * value(row, $1.0) } }
        case .powerProduct:
            return (0..<count).map { row in exp(weighted.reduce(0) { $0 + $1.1 * log1p(value(row, $1.0)) }) }
        case .product:
            return (0..<count).map { row in exp(weighted.reduce(0) { $0 + $1.1 * log(max(1e-12, value(row, $1.0))) }) }
        case .rank:
            var fused = [Double](repeating: 0, count: count)
            for (k, weight) in weighted {
                let order = (0..<count).sorted { (value($0, k), $1) > (value($1, k), $0) }
                for (rank, row) in order.enumerated() { fused[row] += weight / (Double(rank) + rankOffset) }
            }
            return fused
        }
    }
}
