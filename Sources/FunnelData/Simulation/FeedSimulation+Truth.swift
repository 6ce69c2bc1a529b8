import Foundation

extension FeedSimulation {
    /// What the world expects a user to do with an item shown at the top of a feed now (the
    /// user's interests and follows as the simulation has left them): the probability of each
    /// action and the expected seconds watched, by the same response model the events are drawn
    /// from, the completion's noise integrated out. The truth a ranker's fused order is judged by.
    public struct ExpectedResponse: Sendable, Equatable {
        public var click = 0.0, like = 0.0, collect = 0.0, share = 0.0, comment = 0.0, follow = 0.0
        /// Watched to at least 90% of the item's length (what the logged completion counts).
        public var completion = 0.0
        public var watchSeconds = 0.0
    }

    /// Fixed draws of the completion noise, N(0, 1): the expectation over them is the same for
    /// every call.
    static let noiseDraws: [Double] = {
        var g = SplitMix64(seed: 0x7275_7468)
        return (0..<512).map { _ in g.normal() }
    }()

    public func expectedResponse(user: Int, item k: Int) -> ExpectedResponse {
        let u = world.users[user], item = world.items[k], leaf = Int(item.leaf)
        let affinity = Double(interest[user][leaf])
        let isFollowed = followed[user].contains(item.author)
        let local = item.city == Int32(u.city) ? 1.0 : 0.0
        let click = sigmoid(-3.2 + 4 * affinity + 0.8 * item.quality + 0.7 * local + (isFollowed ? 1.5 : 0))
        let engaged = Int(engagement[user][item.author] ?? 0)
        var r = ExpectedResponse()
        for z in Self.noiseDraws {
            let completion = sigmoid(-0.3 + 2 * affinity + 0.8 * item.quality - 0.4 * log(item.duration / 60) + 0.8 * z)
            r.like += sigmoid(-4.5 + 3 * completion + 0.8 * item.quality + 1.5 * affinity)
            r.collect += sigmoid(-5.5 + 2.5 * completion + item.quality)
            r.share += sigmoid(-6.5 + 2 * completion + item.quality + affinity)
            r.comment += sigmoid(-5.5 + 2 * completion + 0.5 * item.quality)
            if !isFollowed, engaged + (completion > 0.5 ? 1 : 0) >= 2 { r.follow += sigmoid(-4 + 2 * completion) }
            if completion >= 0.9 { r.completion += 1 }
            r.watchSeconds += completion * item.duration
        }
        let scale = click / Double(Self.noiseDraws.count)
        (r.click, r.like, r.collect, r.share, r.comment, r.follow, r.completion, r.watchSeconds) =
            (click, r.like * scale, r.collect * scale, r.share * scale, r.comment * scale, r.follow * scale, r.completion * scale, r.watchSeconds * scale)
        return r
    }
}
