import Foundation
import FunnelData

/// Per-item counts of exposures, clicks and likes, turned into rates with Bayesian smoothing:
/// an item's click rate is (clicks + s · p) / (exposures + s), where p is the rate over every
/// item and s a prior strength in pseudo-exposures, so an item seen twice and clicked once is
/// not rated 50%. Likes are rated per click the same way.
public struct ItemStatistics: Sendable {
    struct Counts: Sendable {
        var exposures = 0
        var clicks = 0
        var likes = 0
    }

    private var counts: [String: Counts] = [:]
    public let priorClickRate: Double
    public let priorLikeRate: Double
    public let priorStrength: Double

    /// Counts `events`. A click with no logged exposure counts as exposed (imported logs often
    /// hold only clicks).
    public init(events: some Sequence<Event>, priorStrength: Double = 50) {
        var counts: [String: Counts] = [:]
        var exposed = Set<UserItem>()
        var clickedWithoutExposure = Set<UserItem>()
        for event in events {
            switch event.type {
            case .exposure:
                counts[event.itemID, default: Counts()].exposures += 1
                exposed.insert(UserItem(event))
            case .click, .view:
                counts[event.itemID, default: Counts()].clicks += 1
                clickedWithoutExposure.insert(UserItem(event))
            case .like, .collect, .share:
                counts[event.itemID, default: Counts()].likes += 1
            default:
                break
            }
        }
        for pair in clickedWithoutExposure.subtracting(exposed) { counts[pair.item, default: Counts()].exposures += 1 }
        let total = counts.values.reduce(into: Counts()) { sum, c in
            sum.exposures += c.exposures
            sum.clicks += c.clicks
            sum.likes += c.likes
        }
        self.counts = counts
        self.priorStrength = priorStrength
        priorClickRate = total.exposures > 0 ? min(1, Double(total.clicks) / Double(total.exposures)) : 0.05
        priorLikeRate = total.clicks > 0 ? min(1, Double(total.likes) / Double(total.clicks)) : 0.05
    }

    public func exposures(of item: String) -> Int { counts[item]?.exposures ?? 0 }

    public func clickRate(of item: String) -> Double {
        let c = counts[item] ?? Counts()
        return (Double(c.clicks) + priorStrength * priorClickRate) / (Double(max(c.exposures, c.clicks)) + priorStrength)
    }

    public func likeRate(of item: String) -> Double {
        let c = counts[item] ?? Counts()
        return (Double(c.likes) + priorStrength * priorLikeRate) / (Double(max(c.clicks, c.likes)) + priorStrength)
    }
}

/// A (user, item) pair.
struct UserItem: Hashable, Sendable {
    let user: String
    let item: String

    init(_ event: Event) {
        user = event.userID
        item = event.itemID
    }
}
