import Foundation
import FunnelData
import FunnelIndex
import FunnelRetrieval

/// The numbers the ranker sees for each candidate, the groups `FeatureSpec` names, computed
/// from the catalogue and the event log up to one moment. What depends only on the item (its
/// statistics and its author's) is one row per item of the indexes' item space, computed once;
/// what depends on the user and the request (`Request`) once per feed; the rest per candidate.
/// Training builds its examples through the same code, so offline and online features agree.
public struct RankingFeatures: Sendable {
    public let spec: FeatureSpec
    public let channels: [String]
    public let names: [String]
    public let freshnessHalfLife: TimeInterval
    private let channelIndex: [String: Int]

    /// Per row of the item space: the item and author statistics, and what the per-candidate
    /// features read of the item.
    private let itemWidth: Int
    private let itemTable: [Float]
    private let itemFacts: [ItemFacts]
    /// The row for an item the catalogue and the log do not know: the priors.
    private let unknownItem: [Float]
    private let users: [String: UserProfile]
    private let unknownUser: [Float]
    /// The click rate over every user and category, the prior of the interest rates.
    private let priorClickRate: Double

    struct ItemFacts: Sendable {
        var created: Double = .nan
        var leaf: Int32 = -1
        var top: Int32 = -1
        var author: Int32 = -1
        var location: GeoPoint?
    }

    struct UserProfile: Sendable {
        var statistics: [Float] = []
        /// Exposures and clicks per category level (leaf and top).
        var levels: [Int32: SIMD2<Float>] = [:]
        var followed: Set<Int32> = []
        var clickedLocations = SIMD3<Double>()
        var device: String?
        var city: String?
        var lastSeen = -Double.infinity

        var centre: GeoPoint? {
            clickedLocations.z > 0 ? GeoPoint(latitude: clickedLocations.x / clickedLocations.z, longitude: clickedLocations.y / clickedLocations.z) : nil
        }
    }

    /// The prefix of the channel-rank columns' names.
    public static let channelPrefix = "channel:"
    static let itemRates: [WindowedCounts<String>.Action] = [.click, .like, .collect, .share, .comment, .completion, .hide]
    static let authorRates: [WindowedCounts<String>.Action] = [.click, .follow]
    static let userRates: [WindowedCounts<String>.Action] = [.click, .hide]

    public var count: Int { names.count }

    /// `space`: the indexes' item space, whose rows candidates carry; `events` up to `now`.
    public init(spec: FeatureSpec, channels: [String], items: [Item], space: IDInterner, events: [Event], now: Date,
                freshnessHalfLife: TimeInterval = 3 * 86_400) {
        self.spec = spec
        self.channels = channels
        self.freshnessHalfLife = freshnessHalfLife
        channelIndex = Dictionary(channels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })

        // What each item of the space is: its category levels, author and place.
        var levelIDs: [String: Int32] = [:], authorIDs: [String: Int32] = [:]
        func id(_ key: String, in table: inout [String: Int32]) -> Int32 {
            if let found = table[key] { return found }
            table[key] = Int32(table.count)
            return Int32(table.count - 1)
        }
        let catalogue = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var facts = [ItemFacts](repeating: ItemFacts(), count: space.count)
        var authorName: [String?] = Array(repeating: nil, count: space.count)
        for (row, itemID) in space.ids.enumerated() {
            guard let item = catalogue[itemID] else { continue }
            let levels = item.categoryLevels
            if let top = levels.first { facts[row].top = id(top, in: &levelIDs) }
            if let leaf = item.categories.first { facts[row].leaf = id(leaf, in: &levelIDs) }
            if let author = item.authorID { facts[row].author = id(author, in: &authorIDs); authorName[row] = author }
            facts[row].location = item.location
            facts[row].created = item.createdAt?.timeIntervalSince1970 ?? .nan
        }
        itemFacts = facts

        // One pass over the log: windowed counts per item, author and user; each user's clicks
        // per category, followed authors, clicked places and latest device and city.
        var itemCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var authorCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var userCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var profiles: [String: UserProfile] = [:]
        var exposuresAndClicks = SIMD2<Float>()
        for event in events where event.timestamp <= now {
            guard let action = WindowedCounts<String>.Action(event) else { continue }
            itemCounts.add(event.itemID, action, at: event.timestamp)
            userCounts.add(event.userID, action, at: event.timestamp)
            let row = space.lookup(event.itemID).map(Int.init)
            if let row, let author = authorName[row] { authorCounts.add(author, action, at: event.timestamp) }
            func update(_ profile: inout UserProfile) {
                let t = event.timestamp.timeIntervalSince1970
                if t > profile.lastSeen {
                    profile.lastSeen = t
                    profile.device = event.context.device ?? profile.device
                    profile.city = event.context.city ?? profile.city
                }
                guard let row else { return }
                let step = SIMD2<Float>(action == .exposure ? 1 : 0, action == .click ? 1 : 0)
                if step != .zero {
                    exposuresAndClicks += step
                    for level in [facts[row].leaf, facts[row].top] where level >= 0 { profile.levels[level, default: .zero] += step }
                }
                if action == .follow, facts[row].author >= 0 { profile.followed.insert(facts[row].author) }
                if action == .click, let place = facts[row].location { profile.clickedLocations += SIMD3(place.latitude, place.longitude, 1) }
            }
            update(&profiles[event.userID, default: UserProfile()])
        }
        priorClickRate = exposuresAndClicks.x > 0 ? Double(min(1, exposuresAndClicks.y / exposuresAndClicks.x)) : 0.05

        let s = spec.priorStrength
        func rates(_ counts: WindowedCounts<String>, _ key: String, _ actions: [WindowedCounts<String>.Action], to out: inout [Float]) {
            for w in spec.windows.indices {
                for action in actions { out.append(Self.logit(counts.rate(key, window: w, action, per: action.base, priorStrength: s))) }
                out.append(Float(log1p(Double(counts.count(key, window: w, .exposure)))))
            }
        }
        // The item table: item statistics and duration, then author statistics.
        var width = 0
        if spec.has(.item) { width += spec.windows.count * (Self.itemRates.count + 1) + 1 }
        if spec.has(.author) { width += spec.windows.count * (Self.authorRates.count + 1) }
        itemWidth = width
        func itemRow(_ itemID: String, author: String?) -> [Float] {
            var out: [Float] = []
            out.reserveCapacity(width)
            if spec.has(.item) {
                rates(itemCounts, itemID, Self.itemRates, to: &out)
                out.append(Float(log1p(max(0, catalogue[itemID]?.numeric["duration"] ?? 0))))
            }
            if spec.has(.author) { rates(authorCounts, author ?? "", Self.authorRates, to: &out) }
            return out
        }
        var table: [Float] = []
        table.reserveCapacity(space.count * width)
        for (row, itemID) in space.ids.enumerated() { table += itemRow(itemID, author: authorName[row]) }
        itemTable = table
        unknownItem = itemRow("", author: nil)
        for (user, _) in profiles {
            var statistics: [Float] = []
            rates(userCounts, user, Self.userRates, to: &statistics)
            profiles[user]!.statistics = statistics
        }
        var unknown: [Float] = []
        rates(userCounts, "", Self.userRates, to: &unknown)
        unknownUser = unknown
        users = profiles
        names = Self.names(spec: spec, channels: channels)
    }

    static func names(spec: FeatureSpec, channels: [String]) -> [String] {
        var names: [String] = []
        let windows = spec.windows.map { "\($0)d" }
        func rates(_ group: String, _ actions: [WindowedCounts<String>.Action]) {
            for w in windows { names += actions.map { "\(group):\($0):\(w)" } + ["\(group):exposures:\(w)"] }
        }
        if spec.has(.channels) { names += channels.map { channelPrefix + $0 } + ["channel-count"] }
        if spec.has(.item) {
            rates("item", itemRates)
            names += ["item:log-duration"]
        }
        if spec.has(.author) { rates("author", authorRates) }
        if spec.has(.item) {
            names += ["item:freshness"] + spec.ageBuckets.map { "item:age<\($0.formatted())h" } + ["item:age>=\((spec.ageBuckets.last ?? 0).formatted())h"]
        }
        if spec.has(.user) { rates("user", userRates) }
        if spec.has(.interest) {
            names += ["interest:leaf-click", "interest:top-click", "interest:recent-leaf-share", "interest:follows-author", "interest:log-km", "interest:has-place"]
        }
        if spec.has(.context) {
            names += ["context:hour-sin", "context:hour-cos", "context:weekday-sin", "context:weekday-cos"]
            names += (0..<spec.hashBuckets).map { "context:device#\($0)" } + (0..<spec.hashBuckets).map { "context:city#\($0)" }
        }
        return names
    }

    /// The columns of one feed request: who asks, when, where, on what.
    public struct Request: Sendable {
        let now: Date
        let user: [Float]
        let context: [Float]
        let profile: UserProfile?
        let location: GeoPoint?
        /// How many of the user's last actions were on each leaf category, and how many there were.
        let recentLeaves: [Int32: Float]
        let recentCount: Float
    }

    /// `recentRows`: the item rows of the user's last actions (`RetrievalContext.recentRows`).
    public func request(user: String, now: Date, location: GeoPoint? = nil, device: String? = nil, city: String? = nil,
                        recentRows: [Int32] = []) -> Request {
        let profile = users[user]
        var context: [Float] = []
        if spec.has(.context) {
            let seconds = now.timeIntervalSince1970
            let hour = seconds.truncatingRemainder(dividingBy: 86_400) / 86_400 * 2 * .pi
            // 1 January 1970 was a Thursday; the phase is the same for every request.
            let weekday = (seconds / 86_400).truncatingRemainder(dividingBy: 7) / 7 * 2 * .pi
            context = [Float(sin(hour)), Float(cos(hour)), Float(sin(weekday)), Float(cos(weekday))]
            context += oneHot(device ?? profile?.device) + oneHot(city ?? profile?.city)
        }
        var recentLeaves: [Int32: Float] = [:]
        var recentCount: Float = 0
        if spec.has(.interest) {
            for row in recentRows where row >= 0 && Int(row) < itemFacts.count && itemFacts[Int(row)].leaf >= 0 {
                recentLeaves[itemFacts[Int(row)].leaf, default: 0] += 1
                recentCount += 1
            }
        }
        return Request(now: now, user: spec.has(.user) ? profile?.statistics ?? unknownUser : [], context: context, profile: profile,
                       location: location ?? profile?.centre, recentLeaves: recentLeaves, recentCount: recentCount)
    }

    private func oneHot(_ value: String?) -> [Float] {
        var columns = [Float](repeating: 0, count: spec.hashBuckets)
        if let value { columns[Int(StableHash.hash(value) % UInt64(spec.hashBuckets))] = 1 }
        return columns
    }

    /// The feature column of each source's channel (nil for channels without one), so that
    /// `append` finds a provenance's column by its source rather than by hashing its name.
    public func columns(of sources: [MultiChannelRetriever.Source]) -> [Int?] {
        sources.map { channelIndex[$0.channel.name] }
    }

    /// Appends the features of `candidate` (at `row` of the item space, −1 outside it) to
    /// `out`; `columns` are those of the retriever's sources.
    public func append(_ candidate: MultiChannelRetriever.Candidate, row: Int32, columns: [Int?], request: Request, to out: inout [Float]) {
        let known = row >= 0 && Int(row) < itemFacts.count
        let facts = known ? itemFacts[Int(row)] : ItemFacts()
        if spec.has(.channels) {
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: channels.count))
            for p in candidate.provenance {
                if p.source < columns.count, let k = columns[p.source], out[start + k] == 0 { out[start + k] = 1 / Float(1 + p.rank) }
            }
            out.append(Float(candidate.provenance.count))
        }
        if known {
            itemTable.withUnsafeBufferPointer { out.append(contentsOf: $0[Int(row) * itemWidth ..< (Int(row) + 1) * itemWidth]) }
        } else {
            out.append(contentsOf: unknownItem)
        }
        if spec.has(.item) {
            let age = facts.created.isNaN ? nil : max(0, request.now.timeIntervalSince1970 - facts.created)
            out.append(age.map { Float(exp2(-$0 / freshnessHalfLife)) } ?? 0)
            let bucket = age.map { a in spec.ageBuckets.firstIndex { a < $0 * 3_600 } ?? spec.ageBuckets.count }
            for k in 0...spec.ageBuckets.count { out.append(k == bucket ? 1 : 0) }
        }
        out.append(contentsOf: request.user)
        if spec.has(.interest) {
            let profile = request.profile
            func clickLogit(_ level: Int32) -> Float {
                let counts = level >= 0 ? profile?.levels[level] ?? .zero : .zero
                let s = spec.priorStrength / 5
                let clicks = Double(counts.y), exposures = max(Double(counts.x), clicks)
                return Self.logit((clicks + s * priorClickRate) / (exposures + s))
            }
            out.append(clickLogit(facts.leaf))
            out.append(clickLogit(facts.top))
            out.append(request.recentCount > 0 ? (request.recentLeaves[facts.leaf] ?? 0) / request.recentCount : 0)
            out.append(facts.author >= 0 && profile?.followed.contains(facts.author) == true ? 1 : 0)
            if let here = request.location, let there = facts.location {
                out.append(Float(log1p(here.kilometres(to: there))))
                out.append(1)
            } else {
                out.append(0)
                out.append(0)
            }
        }
        out.append(contentsOf: request.context)
    }

    static func logit(_ p: Double) -> Float {
        let clamped = min(max(p, 1e-6), 1 - 1e-6)
        return Float(log(clamped / (1 - clamped)))
    }
}
