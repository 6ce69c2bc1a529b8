import FunnelStages

/// Reciprocal-rank fusion (Cormack et al., 2009): Σ 1/(60 + rank) over the channels that
/// proposed a candidate. The order served before a learned ranker is trained, and the baseline
/// such a ranker must beat. It reads the channel-rank columns of `RankingFeatures`
/// (1/(1 + rank) where a channel proposed the candidate, else 0), so it needs no training.
public struct ReciprocalRankFusion: Ranker {
    public static let name = "reciprocal-rank-fusion"
    public let featureNames: [String]

    /// Over the channel columns among `features` (named `channel:…`).
    public init(features: [String]) {
        featureNames = features.filter { $0.hasPrefix(RankingFeatures.channelPrefix) }
    }

    public var name: String { Self.name }
    public var objectives: [Objective] { [.click] }

    /// A score that orders like a click probability (each channel adds at most 1/60), not one.
    public func predict(_ batch: RankingBatch) -> Predictions {
        Predictions(.click, (0..<batch.count).map { row in
            batch.row(row).reduce(0) { sum, x in x > 0 ? sum + 1 / (59 + 1 / Double(x)) : sum }
        })
    }
}
