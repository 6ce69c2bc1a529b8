import Foundation

/// Runs a `FeedWorld` day by day and yields its users, items and then events in batches, so any
/// number of events streams out in constant memory. Every user-day draws from its own seeded
/// generator: the same configuration gives the same events, whatever the batch size.
public final class FeedSimulation: RecordBatchSource {
    public let world: FeedWorld
    let batchSize: Int
    let maximumEvents: Int?
    public private(set) var eventCount = 0

    // Phase and cursor.
    var nextUser = 0, nextItem = 0
    var day = 0, dayUser = 0
    var pending: [Event] = []

    // Catalogue indexes.
    /// Per leaf, item indices in order of publication, with their times, for "published by now" prefixes.
    let leafItems: [[Int32]]
    let leafTimes: [[Double]]
    let allByTime: [Int32]
    let allTimes: [Double]
    var trending: [Int32] = []
    var clicksToday: [Int32]

    // Per-user state that drifts.
    var interest: [[Float]]
    var base: [[Float]]
    var recent: [[Int32]]
    var followed: [Set<Int32>]
    var engagement: [[Int32: UInt8]]
    /// How pleased each user has been with served feeds lately (0: as with the incumbent's).
    var satisfaction: [Double]

    static let recentLimit = 64
    static let trendingSize = 200
    /// Relative session frequency by local hour, 0–23.
    static let hourWeights: [Double] = {
        let w: [Double] = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2, 2, 2, 2.5, 3, 2.5, 2, 2, 2.2, 2.5, 3, 3.5, 4, 4, 3, 2]
        var total = 0.0
        return w.map { total += $0; return total }
    }()

    public init(world: FeedWorld, batchSize: Int = 10_000, maximumEvents: Int? = nil) {
        self.world = world
        self.batchSize = batchSize
        self.maximumEvents = maximumEvents
        let order = world.items.indices.sorted { (world.items[$0].created, $0) < (world.items[$1].created, $1) }
        allByTime = order.map(Int32.init)
        allTimes = order.map { world.items[$0].created }
        var byLeaf = [[Int32]](repeating: [], count: world.leafCount)
        for k in order { byLeaf[Int(world.items[k].leaf)].append(Int32(k)) }
        leafItems = byLeaf
        leafTimes = byLeaf.map { $0.map { world.items[Int($0)].created } }
        clicksToday = [Int32](repeating: 0, count: world.items.count)
        interest = world.users.map(\.base)
        base = interest
        recent = Array(repeating: [], count: world.users.count)
        followed = Array(repeating: [], count: world.users.count)
        engagement = Array(repeating: [:], count: world.users.count)
        satisfaction = Array(repeating: 0, count: world.users.count)
    }

    var reachedLimit: Bool { maximumEvents.map { eventCount >= $0 } ?? false }

    public func nextBatch() throws -> RecordBatch? {
        if nextUser < world.users.count {
            let end = min(world.users.count, nextUser + batchSize)
            defer { nextUser = end }
            return RecordBatch(users: (nextUser..<end).map(world.userRecord))
        }
        if nextItem < world.items.count {
            let end = min(world.items.count, nextItem + batchSize)
            defer { nextItem = end }
            return RecordBatch(items: (nextItem..<end).map(world.itemRecord))
        }
        while pending.count < batchSize, day < world.configuration.days, !reachedLimit {
            simulateUserDay(user: dayUser, day: day)
            dayUser += 1
            if dayUser == world.users.count {
                endDay()
                dayUser = 0
                day += 1
            }
        }
        if let maximumEvents, eventCount > maximumEvents {
            pending.removeLast(eventCount - maximumEvents)
            eventCount = maximumEvents
        }
        guard !pending.isEmpty else { return nil }
        let count = min(batchSize, pending.count)
        defer { pending.removeFirst(count) }
        return RecordBatch(events: Array(pending[..<count]))
    }

    /// Items published by `time`, recent ones more likely: index n−1−⌊n·u³⌋ of the publication order.
    func recentItem(_ items: [Int32], _ times: [Double], before time: Double, _ g: inout SplitMix64) -> Int32? {
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] <= time { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let u = g.nextUnitDouble()
        return items[low - 1 - min(low - 1, Int(Double(low) * u * u * u))]
    }

    /// What the feed shows in one slot: by the user's interests (half the time), trending (30%) or any leaf (20%).
    func candidate(for user: Int, at time: Double, _ g: inout SplitMix64) -> Int32? {
        let r = g.nextUnitDouble()
        if r < 0.3, !trending.isEmpty { return trending[g.below(trending.count)] }
        let leaf: Int
        if r < 0.8 {
            var total = 0.0
            let cumulative = interest[user].map { total += Double($0) + 0.01; return total }
            leaf = g.pick(cumulative: cumulative)
        } else {
            leaf = g.below(world.leafCount)
        }
        return recentItem(leafItems[leaf], leafTimes[leaf], before: time, &g) ?? recentItem(allByTime, allTimes, before: time, &g)
    }

    func simulateUserDay(user: Int, day: Int) {
        var g = SplitMix64.derived(world.configuration.seed, 2, UInt64(day), UInt64(user))
        let u = world.users[user]
        // Interest drift: now and then a lasting new interest.
        if g.bernoulli(0.03) {
            let leaf = g.below(world.leafCount)
            base[user][leaf] = max(base[user][leaf], 0.6)
        }
        let dayStart = world.configuration.start.timeIntervalSince1970 + Double(day) * 86_400
        var sessions = (0..<g.poisson(u.activity)).map { _ -> Double in
            let hour = g.pick(cumulative: Self.hourWeights)
            return dayStart + Double(hour) * 3600 + (g.nextUnitDouble() * 3000).rounded()
        }
        sessions.sort()
        for start in sessions { simulateSession(user: user, start: start, &g) }
    }

    /// One session: the incumbent's slots, or the items a served feed `shown` (indices into the
    /// world's items). Returns how engaged the user was: clicks plus completions, less hides,
    /// per slot.
    @discardableResult
    func simulateSession(user: Int, start: Double, _ g: inout SplitMix64, shown: [Int32]? = nil) -> Double {
        let u = world.users[user]
        let context = EventContext(device: FeedWorld.devices[u.device], city: world.cities[u.city].name,
                                   hour: Int((start - world.configuration.start.timeIntervalSince1970).truncatingRemainder(dividingBy: 86_400) / 3600))
        // Interests relax towards the user's base between sessions.
        for leaf in 0..<world.leafCount { interest[user][leaf] += 0.05 * (base[user][leaf] - interest[user][leaf]) }
        let userID = "u\(user)"
        var t = start, engaged = 0.0
        for position in 0..<(shown?.count ?? world.configuration.feedSize) {
            var chosen: Int32?
            if let shown {
                chosen = shown[position]
            } else {
                for _ in 0..<3 {
                    chosen = candidate(for: user, at: t, &g)
                    if let c = chosen, !recent[user].contains(c) { break }
                }
            }
            guard let k = chosen else { continue }
            remember(k, for: user)
            let item = world.items[Int(k)], leaf = Int(item.leaf), itemID = "i\(k)"
            let affinity = Double(interest[user][leaf])
            let isFollowed = followed[user].contains(item.author)
            let local = item.city == Int32(u.city) ? 1.0 : 0.0
            func event(_ type: EventType, at time: Double, watched: Double? = nil) {
                pending.append(Event(userID: userID, itemID: itemID, type: type, timestamp: Date(timeIntervalSince1970: time),
                                     watchedSeconds: watched, itemDuration: watched == nil ? nil : item.duration.rounded(), context: context))
                eventCount += 1
            }
            event(.exposure, at: t)
            let click = sigmoid(-3.2 + 4 * affinity + 0.8 * item.quality + 0.7 * local + (isFollowed ? 1.5 : 0) - 0.3 * log(1 + Double(position)))
            guard g.bernoulli(click) else {
                if g.bernoulli(sigmoid(-4.5 + 3 * (0.15 - affinity) - 0.5 * item.quality)) {
                    event(.hide, at: t + 1)
                    interest[user][leaf] *= 0.7
                    engaged -= 1
                }
                t += 4
                continue
            }
            clicksToday[Int(k)] += 1
            event(.click, at: t + 2)
            let completion = sigmoid(-0.3 + 2 * affinity + 0.8 * item.quality - 0.4 * log(item.duration / 60) + 0.8 * g.normal())
            let watched = (completion * item.duration).rounded()
            engaged += 1 + completion
            event(.view, at: t + 3, watched: watched)
            let end = t + 3 + watched
            if g.bernoulli(sigmoid(-4.5 + 3 * completion + 0.8 * item.quality + 1.5 * affinity)) { event(.like, at: end) }
            if g.bernoulli(sigmoid(-5.5 + 2.5 * completion + item.quality)) { event(.collect, at: end + 1) }
            if g.bernoulli(sigmoid(-6.5 + 2 * completion + item.quality + affinity)) { event(.share, at: end + 2) }
            if g.bernoulli(sigmoid(-5.5 + 2 * completion + 0.5 * item.quality)) { event(.comment, at: end + 3) }
            let engaged = (engagement[user][item.author] ?? 0) &+ (completion > 0.5 ? 1 : 0)
            engagement[user][item.author] = min(engaged, 100)
            if !isFollowed, engaged >= 2, g.bernoulli(sigmoid(-4 + 2 * completion)) {
                followed[user].insert(item.author)
                event(.followAuthor, at: end + 4)
            }
            // Engagement reinforces the interest it came from.
            interest[user][leaf] += Float(0.08 * completion) * (1 - interest[user][leaf])
            t = end + 5
        }
        return engaged / Double(max(1, shown?.count ?? world.configuration.feedSize))
    }

    func remember(_ item: Int32, for user: Int) {
        if recent[user].count == Self.recentLimit { recent[user].removeFirst() }
        recent[user].append(item)
    }

    /// Trending for tomorrow: today's most clicked items.
    func endDay() {
        let top = clicksToday.indices.filter { clicksToday[$0] > 0 }
            .sorted { (clicksToday[$0], -$0) > (clicksToday[$1], -$1) }
            .prefix(Self.trendingSize)
        trending = top.map(Int32.init)
        for k in clicksToday.indices { clicksToday[k] = 0 }
    }
}
