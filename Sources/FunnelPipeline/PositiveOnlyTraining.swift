import Foundation
import FunnelData

/// How the ranker trains on a log of positive actions alone (clicks, plays, purchases; no
/// exposures), as `[pipeline.positiveOnly]` sets it. The latest positive actions become the
/// examples: each is an exposure of its item that the user took, beside `negatives` exposures
/// of items drawn by `sampler` that stand for what the user was shown and passed over.
public struct PositiveOnlyTraining: Codable, Sendable, Equatable {
    public enum Sampler: String, Codable, Sendable, CaseIterable {
        /// Among the user's own candidates from the channels as of the examples' start: what
        /// the ranker will have to order at serving time.
        case candidates
        /// From the catalogue with probability ∝ (positive actions)^0.75.
        case popularity
        /// Uniformly from the catalogue.
        case uniform
    }

    /// Drawn negatives per positive action.
    public var negatives = 4
    public var sampler = Sampler.uniform
    /// The share of the positive actions (the latest) that become examples; the rest, before
    /// them, is what the channels and the two-tower model learn from.
    public var share = 0.2

    public init() {}

    /// Every key may be left out.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PositiveOnlyTraining()
        negatives = try c.decodeIfPresent(Int.self, forKey: .negatives) ?? d.negatives
        sampler = try c.decodeIfPresent(Sampler.self, forKey: .sampler) ?? d.sampler
        share = try c.decodeIfPresent(Double.self, forKey: .share) ?? d.share
    }

    /// The first setting out of its range, named, or nil.
    var problem: String? {
        if !(1...100).contains(negatives) { return "negatives must be within 1…100, got \(negatives)" }
        if !(share > 0 && share < 1) { return "share must be in (0, 1), got \(share)" }
        return nil
    }

    /// The exposures standing for `anchors` (positive actions, oldest first): each anchor's
    /// item a second before it, then `negatives` drawn items at the same moment, in the
    /// anchor's context. `candidates(user)` gives a user's candidates for `.candidates` (a user
    /// without any draws uniformly from `catalogue`); `counts` holds each catalogue item's
    /// positive actions, for `.popularity`.
    func exposures(for anchors: some Collection<Event>, candidates: (String) -> [String], catalogue: [String], counts: [Double],
                   seed: UInt64 = 17) -> [Event] {
        var random = SplitMix64(seed: seed)
        let cumulative = SplitMix64.cumulative(counts, power: sampler == .popularity ? 0.75 : 0)
        let sum = cumulative.last ?? 0
        var exposures: [Event] = []
        exposures.reserveCapacity(anchors.count * (1 + negatives))
        for anchor in anchors {
            let time = anchor.timestamp.addingTimeInterval(-1)
            func exposure(_ item: String) -> Event { Event(userID: anchor.userID, itemID: item, type: .exposure, timestamp: time, context: anchor.context) }
            exposures.append(exposure(anchor.itemID))
            let pool = sampler == .candidates ? candidates(anchor.userID) : []
            for _ in 0..<negatives {
                if sampler == .candidates, !pool.isEmpty {
                    exposures.append(exposure(pool[Int(random.next() % UInt64(pool.count))]))
                } else if !catalogue.isEmpty, sum > 0 {
                    exposures.append(exposure(catalogue[random.pick(cumulative: cumulative)]))
                }
            }
        }
        return exposures
    }
}
