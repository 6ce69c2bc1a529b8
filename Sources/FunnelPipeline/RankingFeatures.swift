import Foundation
import FunnelData
import FunnelRetrieval

/// The numbers the ranker sees for one candidate: per channel, 1/(1 + rank) where the channel
/// proposed it (else 0); how many channels did; the log-odds of its smoothed click and like
/// rates; its freshness; and the log of its exposures.
public struct RankingFeatures: Sendable {
    public let channels: [String]
    public let freshnessHalfLife: TimeInterval

    public init(channels: [String], freshnessHalfLife: TimeInterval = 3 * 86_400) {
        self.channels = channels
        self.freshnessHalfLife = freshnessHalfLife
    }

    public var names: [String] {
        channels.map { "channel:\($0)" } + ["channel-count", "click-rate-logit", "like-rate-logit", "freshness", "log-exposures"]
    }

    public var count: Int { channels.count + 5 }

    /// Appends the features of `candidate` to `out`.
    public func append(_ candidate: MultiChannelRetriever.Candidate, item: Item?, statistics: ItemStatistics, now: Date, to out: inout [Float]) {
        for channel in channels {
            let rank = candidate.provenance.first { $0.channel == channel }?.rank
            out.append(rank.map { 1 / Float(1 + $0) } ?? 0)
        }
        out.append(Float(candidate.provenance.count))
        out.append(Self.logit(statistics.clickRate(of: candidate.item)))
        out.append(Self.logit(statistics.likeRate(of: candidate.item)))
        let age = item?.createdAt.map { max(0, now.timeIntervalSince($0)) }
        out.append(age.map { Float(exp2(-$0 / freshnessHalfLife)) } ?? 0)
        out.append(Float(log1p(Double(statistics.exposures(of: candidate.item)))))
    }

    static func logit(_ p: Double) -> Float {
        let clamped = min(max(p, 1e-6), 1 - 1e-6)
        return Float(log(clamped / (1 - clamped)))
    }
}
