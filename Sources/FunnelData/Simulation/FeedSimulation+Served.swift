import Foundation

extension FeedSimulation {
    /// What the incumbent's sessions engage a user: clicks plus completions less hides per slot,
    /// about what its logs show. Served feeds are judged against it.
    static let incumbentEngagement = 0.25

    /// Day `day` (counted from the world's start, after its logged days) served by a recommender
    /// under test: each session shows what `feed(user, time, n)` returns (item ids of this
    /// world; unknown ids are skipped), and the user responds as in the logged days. Users
    /// also come back as pleased as they were: a user's sessions per day are their activity
    /// times e^(2·satisfaction) (within ×0.25…×4), where satisfaction moves after each session a
    /// third of the way to its engagement less the incumbent's. A better feed thus brings users
    /// back more often, and a worse one loses them: retention is an outcome here.
    ///
    /// Each user-day draws from its own generator, so two runs from the same state that serve
    /// different feeds share their luck (sessions, hours, responses), and their difference is
    /// the feeds'. Returns the day's events, time-ordered within each user.
    /// `record` sees each session's events as it ends, before the user's next feed.
    public func serveDay(_ day: Int, feed: (_ user: String, _ time: Date, _ n: Int) async -> [String],
                         record: ([Event]) -> Void = { _ in }) async -> [Event] {
        precondition(day >= world.configuration.days, "served days follow the logged ones")
        pending.removeAll()
        let dayStart = world.configuration.start.timeIntervalSince1970 + Double(day) * 86_400
        for user in world.users.indices {
            var g = SplitMix64.derived(world.configuration.seed, 3, UInt64(day), UInt64(user))
            if g.bernoulli(0.03) {
                let leaf = g.below(world.leafCount)
                base[user][leaf] = max(base[user][leaf], 0.6)
            }
            let rate = world.users[user].activity * min(4, max(0.25, exp(2 * satisfaction[user])))
            var sessions = (0..<g.poisson(rate)).map { _ -> Double in
                dayStart + Double(g.pick(cumulative: Self.hourWeights)) * 3600 + (g.nextUnitDouble() * 3000).rounded()
            }
            sessions.sort()
            for start in sessions {
                let ids = await feed("u\(user)", Date(timeIntervalSince1970: start), world.configuration.feedSize)
                let shown = ids.compactMap { id -> Int32? in
                    guard id.first == "i", let k = Int32(id.dropFirst()), k >= 0, Int(k) < world.items.count else { return nil }
                    return k
                }
                let before = pending.count
                let engaged = simulateSession(user: user, start: start, &g, shown: shown)
                record(Array(pending[before...]))
                satisfaction[user] += (engaged - Self.incumbentEngagement - satisfaction[user]) / 3
            }
        }
        endDay()
        defer { pending.removeAll() }
        return pending
    }

    /// A copy with the same world and the same state (interests, follows, satisfaction), for a
    /// counterfactual run from here.
    public func copy() -> FeedSimulation {
        let twin = FeedSimulation(world: world, batchSize: batchSize, maximumEvents: maximumEvents)
        (twin.interest, twin.base, twin.recent, twin.followed) = (interest, base, recent, followed)
        (twin.engagement, twin.satisfaction, twin.trending) = (engagement, satisfaction, trending)
        (twin.nextUser, twin.nextItem, twin.day, twin.dayUser) = (nextUser, nextItem, day, dayUser)
        return twin
    }
}
