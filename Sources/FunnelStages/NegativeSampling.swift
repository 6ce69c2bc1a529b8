
/// Negative down-sampling for a multi-task ranker: exposures without a positive for `objective`
/// are kept for training with probability `keepRate` (all positives are kept), which cuts the
/// rows of a feed's mostly unclicked log. The kept negatives of the other objectives weigh
/// 1 / keepRate in their losses, so those stay unbiased; the sampled objective's predictions
/// are restored to true rates by p = a·q / ((1 − q) + a·q) when `corrected`.
public struct NegativeSampling: Codable, Sendable, Equatable {
    public var keepRate: Float
    public var objective: Objective
    public var corrected: Bool

    public init(keepRate: Float, objective: Objective = .click, corrected: Bool = true) {
        (self.keepRate, self.objective, self.corrected) = (keepRate, objective, corrected)
    }

    /// Only the keep rate is required; clicks are sampled and corrected by default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(keepRate: try c.decode(Float.self, forKey: .keepRate),
                  objective: try c.decodeIfPresent(Objective.self, forKey: .objective) ?? .click,
                  corrected: try c.decodeIfPresent(Bool.self, forKey: .corrected) ?? true)
    }

    /// A keep rate in (0, 1], else an error naming it.
    public func validate() throws {
        guard keepRate.isFinite, keepRate > 0, keepRate <= 1 else {
            throw StageError("negativeSampling.keepRate must be in (0, 1], got \(keepRate)")
        }
    }
}
