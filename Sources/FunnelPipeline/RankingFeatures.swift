import Foundation
import FunnelData
import FunnelRetrieval

/// The numbers the ranker sees for one candidate: per channel, 1/(1 + rank) where the channel
/// proposed it (else 0); how many channels did; the log-odds of its smoothed click and like
/// rates; its freshness; and the log of its exposures.
public struct RankingFeatures: Sendable {
    public let channels: [String]
    public let freshnessHalfLife: TimeInterval
    private let channelIndex: [String: Int]

    public init(channels: [String], freshnessHalfLife: TimeInterval = 3 * 86_400) {
        self.channels = channels
        self.freshnessHalfLife = freshnessHalfLife
        channelIndex = Dictionary(channels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// What the features need of an item, computed once per pipeline version.
    public struct ItemFacts: Sendable {
        var clickLogit: Float
        var likeLogit: Float
        var logExposures: Float
        var createdAt: Date?
    }

    public func facts(_ item: String, created: Date?, statistics: ItemStatistics) -> ItemFacts {
        ItemFacts(clickLogit: Self.logit(statistics.clickRate(of: item)), likeLogit: Self.logit(statistics.likeRate(of: item)),
                  logExposures: Float(log1p(Double(statistics.exposures(of: item)))), createdAt: created)
    }

    /// The prefix of the channel-rank columns' names.
    public static let channelPrefix = "channel:"

    public var names: [String] {
        channels.map { Self.channelPrefix + $0 } + ["channel-count", "click-rate-logit", "like-rate-logit", "freshness", "log-exposures"]
    }

    public var count: Int { channels.count + 5 }

    /// The feature column of each source's channel (nil for channels without one), so that
    /// `append` finds a provenance's column by its source rather than by hashing its name.
    public func columns(of sources: [MultiChannelRetriever.Source]) -> [Int?] {
        sources.map { channelIndex[$0.channel.name] }
    }

    /// Appends the features of `candidate` to `out`; `columns` are those of the retriever's sources.
    public func append(_ candidate: MultiChannelRetriever.Candidate, columns: [Int?], facts: ItemFacts, now: Date, to out: inout [Float]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: channels.count))
        for p in candidate.provenance {
            if p.source < columns.count, let k = columns[p.source], out[start + k] == 0 { out[start + k] = 1 / Float(1 + p.rank) }
        }
        out.append(Float(candidate.provenance.count))
        out.append(facts.clickLogit)
        out.append(facts.likeLogit)
        let age = facts.createdAt.map { max(0, now.timeIntervalSince($0)) }
        out.append(age.map { Float(exp2(-$0 / freshnessHalfLife)) } ?? 0)
        out.append(facts.logExposures)
    }

    static func logit(_ p: Double) -> Float {
        let clamped = min(max(p, 1e-6), 1 - 1e-6)
        return Float(log(clamped / (1 - clamped)))
    }
}
