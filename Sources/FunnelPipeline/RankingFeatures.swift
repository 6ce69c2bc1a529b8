import Foundation
import FunnelData
import FunnelIndex
import FunnelRetrieval
import FunnelStages

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
    /// Every item's hashed tags (`StableHash`), one after another; `ItemFacts.tags` ranges over them.
    private let itemTags: [UInt64]
    /// Category levels (leaves and tops) are numbered 0..<levelCount.
    private let levelCount: Int
    /// The row for an item the catalogue and the log do not know: the priors.
    private let unknownItem: [Float]
    /// What an item written since the build is read against: the category levels and authors
    /// numbered, each author's statistics (`author` group), and the item statistics' priors.
    private let levelIDs: [String: Int32]
    private let authorIDs: [String: Int32]
    private let authorStatistics: [String: [Float]]
    private let priorItemStatistics: [Float]
    private let priorAuthorStatistics: [Float]
    private let users: [String: UserProfile]
    private let unknownUser: [Float]
    /// The users' stored records (attributes, tags, home), for the `profile` group and the place.
    private let records: [String: User]
    /// The click rate over every user and category, the prior of the interest rates.
    private let priorClickRate: Double

    struct ItemFacts: Sendable {
        var created: Double = .nan
        var leaf: Int32 = -1
        var top: Int32 = -1
        var author: Int32 = -1
        var location: GeoPoint?
        /// `location` on the unit sphere (w = 1), or zero when unknown.
        var place = SIMD4<Float>()
        /// Where the item's tags lie in `itemTags`: the facts hold no reference, so reading
        /// them for each candidate copies plain bytes.
        var tags: Range<Int32> = 0..<0
        /// The `ids` group's codes of the item, its author and its leaf category.
        var codes = SIMD4<Float>()
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

    /// `catalogue`: the items by id; `space`: the indexes' item space, whose rows candidates
    /// carry; the events before `now` count; `users`: the stored user records by id.
    public init(spec: FeatureSpec, channels: [String], catalogue: [String: Item], space: IDInterner, events: [Event], now: Date,
                users records: [String: User] = [:], freshnessHalfLife: TimeInterval = 3 * 86_400) {
        self.spec = spec
        self.records = records
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
        var facts = [ItemFacts](repeating: ItemFacts(), count: space.count)
        var authorName: [String?] = Array(repeating: nil, count: space.count)
        var tags: [UInt64] = []
        for (row, itemID) in space.ids.enumerated() {
            guard let item = catalogue[itemID] else { continue }
            if let top = item.categoryLevels.first { _ = id(top, in: &levelIDs) }
            if let leaf = item.categories.first { _ = id(leaf, in: &levelIDs) }
            if let author = item.authorID { _ = id(author, in: &authorIDs); authorName[row] = author }
            let start = Int32(tags.count)
            tags += item.tags.map(StableHash.hash)
            facts[row] = Self.facts(of: item, levels: levelIDs, authors: authorIDs, tags: start..<Int32(tags.count))
        }
        itemFacts = facts
        itemTags = tags
        levelCount = levelIDs.count
        self.levelIDs = levelIDs
        self.authorIDs = authorIDs

        // One pass over the log: windowed counts per item, author and user; each user's clicks
        // per category, followed authors, clicked places and latest device and city.
        var itemCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var authorCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var userCounts = WindowedCounts<String>(windowDays: spec.windows, end: now)
        var profiles: [String: UserProfile] = [:]
        var exposuresAndClicks = SIMD2<Float>()
        for event in events where event.timestamp < now {
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
        func rates(_ counts: WindowedCounts<String>, _ key: String, _ actions: [WindowedCounts<String>.Action]) -> [Float] {
            var out: [Float] = []
            rates(counts, key, actions, to: &out)
            return out
        }
        // The item table: item statistics and duration, author statistics, the item's profile.
        var byAuthor: [String: [Float]] = [:]
        if spec.has(.author) { for author in Set(authorName.compactMap { $0 }) { byAuthor[author] = rates(authorCounts, author, Self.authorRates) } }
        authorStatistics = byAuthor
        priorItemStatistics = spec.has(.item) ? rates(itemCounts, "", Self.itemRates) : []
        priorAuthorStatistics = spec.has(.author) ? rates(authorCounts, "", Self.authorRates) : []
        unknownItem = Self.itemColumns(spec: spec, item: nil, statistics: priorItemStatistics, author: priorAuthorStatistics)
        itemWidth = unknownItem.count
        var table: [Float] = []
        table.reserveCapacity(space.count * itemWidth)
        for (row, itemID) in space.ids.enumerated() {
            let statistics = spec.has(.item) ? rates(itemCounts, itemID, Self.itemRates) : []
            table += Self.itemColumns(spec: spec, item: catalogue[itemID], statistics: statistics,
                                      author: authorName[row].flatMap { byAuthor[$0] } ?? priorAuthorStatistics)
        }
        itemTable = table
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
        if spec.has(.profile) {
            names += (0..<spec.hashBuckets).map { "profile:item-tag#\($0)" } + numericNames(spec.itemNumeric, spec: spec).map { "profile:item:" + $0 }
        }
        if spec.has(.item) {
            names += ["item:freshness"] + spec.ageBuckets.map { "item:age<\($0.formatted())h" } + ["item:age>=\((spec.ageBuckets.last ?? 0).formatted())h"]
        }
        if spec.has(.user) { rates("user", userRates) }
        if spec.has(.profile) {
            names += (0..<spec.hashBuckets).map { "profile:user#\($0)" } + numericNames(spec.userNumeric, spec: spec).map { "profile:user:" + $0 }
                + ["profile:tag-overlap"]
        }
        if spec.has(.interest) {
            names += ["interest:leaf-click", "interest:top-click", "interest:recent-leaf-share", "interest:follows-author", "interest:log-km", "interest:has-place"]
        }
        if spec.has(.context) {
            names += ["context:hour-sin", "context:hour-cos", "context:weekday-sin", "context:weekday-cos"]
            names += (0..<spec.hashBuckets).map { "context:device#\($0)" } + (0..<spec.hashBuckets).map { "context:city#\($0)" }
        }
        if spec.has(.ids) { names += ["item", "author", "category", "user"].map { RankingExamples.idPrefix + $0 } }
        if spec.has(.sequence) { names += (0..<spec.sequenceLength).flatMap { ["\(RankingExamples.historyPrefix)item#\($0)", "\(RankingExamples.historyPrefix)category#\($0)"] } }
        if spec.has(.categorySequence) {
            let prefix = RankingExamples.categorySequencePrefix
            names += (0..<spec.categorySequenceLength).flatMap { ["\(prefix)item#\($0)", "\(prefix)age#\($0)"] }
        }
        return names
    }

    /// What the per-candidate features read of `item`, its levels and author numbered by
    /// `levels` and `authors` (−1 when they lack them).
    static func facts(of item: Item, levels: [String: Int32], authors: [String: Int32], tags: Range<Int32>) -> ItemFacts {
        var facts = ItemFacts()
        facts.top = item.categoryLevels.first.flatMap { levels[$0] } ?? -1
        facts.leaf = item.categories.first.flatMap { levels[$0] } ?? -1
        facts.author = item.authorID.flatMap { authors[$0] } ?? -1
        facts.location = item.location
        facts.place = item.location.map(Self.unitVector) ?? .zero
        facts.created = item.createdAt?.timeIntervalSince1970 ?? .nan
        facts.tags = tags
        facts.codes = SIMD4(idCode(item.id), item.authorID.map(idCode) ?? 0, item.categories.first.map(idCode) ?? 0, 0)
        return facts
    }

    /// An item's row of the item table: its statistics and duration, its author's statistics,
    /// its profile.
    static func itemColumns(spec: FeatureSpec, item: Item?, statistics: [Float], author: [Float]) -> [Float] {
        var out: [Float] = []
        if spec.has(.item) {
            out += statistics
            out.append(Float(log1p(max(0, item?.numeric["duration"] ?? 0))))
        }
        if spec.has(.author) { out += author }
        if spec.has(.profile) {
            out += Self.hashed(item?.tags ?? [], buckets: spec.hashBuckets)
            out += Self.numericColumns(spec.itemNumeric, item?.numeric, spec: spec)
        }
        return out
    }

    /// An item written since these features were computed, as the ranker reads it: what was
    /// written (categories, author, tags, place, age, numeric attributes) with the statistics
    /// counted for it at the build (the priors for a new item) and its author's.
    public struct WrittenItem: Sendable {
        fileprivate let facts: ItemFacts
        fileprivate let columns: [Float]
        fileprivate let tags: [UInt64]
    }

    /// `item` as written, `row` its row in the item space (−1 for a new one).
    public func written(_ item: Item, row: Int32) -> WrittenItem {
        let known = row >= 0 && Int(row) < itemFacts.count
        let statistics = spec.has(.item) && known
            ? Array(itemTable[(Int(row) * itemWidth)..<(Int(row) * itemWidth + priorItemStatistics.count)]) : priorItemStatistics
        let author = item.authorID.flatMap { authorStatistics[$0] } ?? priorAuthorStatistics
        let tags = item.tags.map(StableHash.hash)
        return WrittenItem(facts: Self.facts(of: item, levels: levelIDs, authors: authorIDs, tags: 0..<Int32(tags.count)),
                           columns: Self.itemColumns(spec: spec, item: item, statistics: statistics, author: author), tags: tags)
    }

    /// What one feed request adds: who asks, when, where, on what; and, per category level,
    /// the user's smoothed click rate on it and its share of their last actions, so that each
    /// candidate reads them by index.
    public struct Request: Sendable {
        let now: Double
        let user: [Float]
        let context: [Float]
        let levelClickLogits: [Float]
        let recentShares: [Float]
        let followed: Set<Int32>
        /// Where the user is, on the unit sphere (w = 1), or zero when unknown.
        let place: SIMD4<Float>
        /// The `profile` columns of the user's record, and its tags hashed.
        let profile: [Float]
        let tags: Set<UInt64>
        /// The user's `ids` code.
        let code: Float
        /// The `sequence` group's codes: item and leaf category per step, newest first, 0-padded.
        let history: [Float]
        /// The sequence's items the item space does not hold, skipped.
        public let skippedHistory: Int
        /// The `categorySequence` group's codes (item, age bucket per step) of each leaf category
        /// the long history holds, one block after another, and by leaf the block's start (−1
        /// for none).
        let categorySequences: [Float]
        let categoryStart: [Int32]
        /// The long history's items the item space does not hold, skipped.
        public let skippedLongHistory: Int
    }

    /// The item rows of the positive actions among a user's last actions (`types` and `rows`
    /// side by side, newest first), in that order: what the `sequence` group reads.
    public static func historyRows(types: some Sequence<EventType>, rows: some Sequence<Int32>) -> [Int32] {
        zip(types, rows).compactMap { ExposureOutcomes.clickTypes.contains($0) ? $1 : nil }
    }

    /// The `sequence` group's rows for a request: the positive actions of its context (none
    /// without the group).
    public func historyRows(_ context: RetrievalContext) -> [Int32] {
        spec.has(.sequence) ? Self.historyRows(types: context.recentActions.lazy.map(\.type), rows: context.recentRows) : []
    }

    /// `recentRows`: the item rows of the user's last actions (`RetrievalContext.recentRows`);
    /// `history`: those of their positive ones, newest first (`historyRows`); `longHistory`:
    /// their long history, oldest first (`LongHistoryIndex`).
    public func request(user: String, now: Date, location: GeoPoint? = nil, device: String? = nil, city: String? = nil,
                        recentRows: [Int32] = [], history: [Int32] = [], longHistory: [LongHistoryIndex.Action] = []) -> Request {
        let profile = users[user], record = records[user]
        var context: [Float] = []
        if spec.has(.context) {
            let seconds = now.timeIntervalSince1970
            let hour = seconds.truncatingRemainder(dividingBy: 86_400) / 86_400 * 2 * .pi
            // 1 January 1970 was a Thursday; the phase is the same for every request.
            let weekday = (seconds / 86_400).truncatingRemainder(dividingBy: 7) / 7 * 2 * .pi
            context = [Float(sin(hour)), Float(cos(hour)), Float(sin(weekday)), Float(cos(weekday))]
            context += oneHot(device ?? profile?.device) + oneHot(city ?? profile?.city)
        }
        var logits: [Float] = [], shares: [Float] = []
        if spec.has(.interest) {
            let s = spec.priorStrength / 5
            func clickLogit(_ counts: SIMD2<Float>) -> Float {
                let clicks = Double(counts.y), exposures = max(Double(counts.x), clicks)
                return Self.logit((clicks + s * priorClickRate) / (exposures + s))
            }
            logits = Array(repeating: clickLogit(.zero), count: levelCount + 1)
            for (level, counts) in profile?.levels ?? [:] { logits[Int(level)] = clickLogit(counts) }
            shares = Array(repeating: 0, count: levelCount + 1)
            let recent = recentRows.compactMap { row in row >= 0 && Int(row) < itemFacts.count && itemFacts[Int(row)].leaf >= 0 ? Int(itemFacts[Int(row)].leaf) : nil }
            for leaf in recent { shares[leaf] += 1 / Float(recent.count) }
        }
        var sequence: [Float] = [], skipped = 0
        if spec.has(.sequence) {
            sequence.reserveCapacity(2 * spec.sequenceLength)
            for row in history where sequence.count < 2 * spec.sequenceLength {
                guard row >= 0, Int(row) < itemFacts.count, itemFacts[Int(row)].codes.x != 0 else {
                    skipped += 1
                    continue
                }
                let codes = itemFacts[Int(row)].codes
                sequence.append(codes.x)
                sequence.append(codes.z)
            }
            sequence += repeatElement(0, count: 2 * spec.sequenceLength - sequence.count)
        }
        let searched = spec.has(.categorySequence) ? categorySequences(longHistory, now: now.timeIntervalSince1970) : (blocks: [], start: [], skipped: 0)
        return Request(now: now.timeIntervalSince1970, user: spec.has(.user) ? profile?.statistics ?? unknownUser : [], context: context,
                       levelClickLogits: logits, recentShares: shares, followed: profile?.followed ?? [],
                       place: (location ?? record?.home ?? profile?.centre).map(Self.unitVector) ?? .zero,
                       profile: spec.has(.profile) ? userProfile(record) : [],
                       tags: spec.has(.profile) ? Set(record?.tags.map(StableHash.hash) ?? []) : [], code: Self.idCode(user),
                       history: sequence, skippedHistory: skipped,
                       categorySequences: searched.blocks, categoryStart: searched.start, skippedLongHistory: searched.skipped)
    }

    /// The `categorySequence` group's blocks: one pass over the long history, newest first,
    /// each action's item and age filling its leaf category's block until it holds
    /// `categorySequenceLength` steps.
    private func categorySequences(_ longHistory: [LongHistoryIndex.Action], now: Double) -> (blocks: [Float], start: [Int32], skipped: Int) {
        let steps = spec.categorySequenceLength, width = 2 * steps
        var blocks: [Float] = [], start = [Int32](repeating: -1, count: levelCount), filled: [Int] = [], skipped = 0
        for action in longHistory.reversed() {
            guard action.row >= 0, Int(action.row) < itemFacts.count, itemFacts[Int(action.row)].codes.x != 0 else {
                skipped += 1
                continue
            }
            let facts = itemFacts[Int(action.row)]
            guard facts.leaf >= 0 else { continue }
            if start[Int(facts.leaf)] < 0 {
                start[Int(facts.leaf)] = Int32(filled.count)
                blocks += repeatElement(0, count: width)
                filled.append(0)
            }
            let block = Int(start[Int(facts.leaf)])
            guard filled[block] < steps else { continue }
            blocks[block * width + 2 * filled[block]] = facts.codes.x
            blocks[block * width + 2 * filled[block] + 1] = Self.ageBucket(seconds: now - action.time)
            filled[block] += 1
        }
        return (blocks, start, skipped)
    }

    /// The age bucket of an action `seconds` old (`RankingExamples.categorySequenceAgeBuckets`).
    public static func ageBucket(seconds: Double) -> Float {
        let hours = max(0, seconds) / 3_600
        guard hours >= 1 else { return 1 }
        return Float(min(RankingExamples.categorySequenceAgeBuckets, 2 + Int(log2(hours).rounded(.down))))
    }

    /// The user's attributes (`name=value`) and tags hashed into buckets, then the numeric ones.
    private func userProfile(_ record: User?) -> [Float] {
        let keys = (record?.categorical ?? [:]).map { "\($0.key)=\($0.value)" } + (record?.tags ?? []).map { "tag:" + $0 }
        return Self.hashed(keys, buckets: spec.hashBuckets) + Self.numericColumns(spec.userNumeric, record?.numeric, spec: spec)
    }

    /// The columns of the numeric attributes `names`: each one's signed log, then, when it has
    /// boundaries, its bucket one-hot (none set when the value is missing).
    static func numericColumns(_ names: [String], _ values: [String: Double]?, spec: FeatureSpec) -> [Float] {
        var out: [Float] = []
        for name in names {
            let x = values?[name]
            out.append(signedLog(x))
            if let bounds = spec.numericBuckets[name] {
                var buckets = [Float](repeating: 0, count: bounds.count + 1)
                if let x, x.isFinite { buckets[bounds.firstIndex { x < $0 } ?? bounds.count] = 1 }
                out += buckets
            }
        }
        return out
    }

    /// The names of `numericColumns`' columns: `price`, then `price<10`, …, `price>=100`.
    static func numericNames(_ names: [String], spec: FeatureSpec) -> [String] {
        names.flatMap { name in
            guard let bounds = spec.numericBuckets[name] else { return [name] }
            return [name] + bounds.map { "\(name)<\($0.formatted())" } + ["\(name)>=\(bounds.last!.formatted())"]
        }
    }

    /// How many of `values` fall in each of `buckets` by their stable hash.
    static func hashed(_ values: [String], buckets: Int) -> [Float] {
        var columns = [Float](repeating: 0, count: buckets)
        for value in values { columns[Int(StableHash.hash(value) % UInt64(buckets))] += 1 }
        return columns
    }

    /// sign(x) · log(1 + |x|), 0 for a missing value: heavy tails (prices, counts) compressed.
    static func signedLog(_ x: Double?) -> Float {
        guard let x, x.isFinite else { return 0 }
        return Float(x < 0 ? -log1p(-x) : log1p(x))
    }

    private func oneHot(_ value: String?) -> [Float] {
        Self.hashed(value.map { [$0] } ?? [], buckets: spec.hashBuckets)
    }

    static func unitVector(_ p: GeoPoint) -> SIMD4<Float> {
        let lat = p.latitude * .pi / 180, lon = p.longitude * .pi / 180
        return SIMD4(Float(cos(lat) * cos(lon)), Float(cos(lat) * sin(lon)), Float(sin(lat)), 1)
    }

    /// The feature column of each source's channel (nil for channels without one), so that
    /// `append` finds a provenance's column by its source rather than by hashing its name.
    public func columns(of sources: [MultiChannelRetriever.Source]) -> [Int?] {
        sources.map { channelIndex[$0.channel.name] }
    }

    /// The features of every candidate, row after row; `rows` are their rows in the item space
    /// (−1 outside it), `columns` those of the retriever's sources; `written`: by candidate
    /// index, the items written since these features were computed, read as written.
    public func rows(_ candidates: [MultiChannelRetriever.Candidate], rows: [Int32], columns: [Int?], request: Request,
                     written: [Int: WrittenItem] = [:]) -> [Float] {
        let width = count
        return [Float](unsafeUninitializedCapacity: candidates.count * width) { out, filled in
            for k in candidates.indices {
                write(candidates[k], row: rows[k], columns: columns, request: request, written: written.isEmpty ? nil : written[k],
                      to: out.baseAddress! + k * width)
            }
            filled = candidates.count * width
        }
    }

    /// Appends the features of one candidate to `out`.
    public func append(_ candidate: MultiChannelRetriever.Candidate, row: Int32, columns: [Int?], request: Request, to out: inout [Float]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBufferPointer { write(candidate, row: row, columns: columns, request: request, written: nil, to: $0.baseAddress! + start) }
    }

    /// Writes the `count` features of `candidate` at `out`.
    private func write(_ candidate: MultiChannelRetriever.Candidate, row: Int32, columns: [Int?], request: Request, written: WrittenItem?,
                       to out: UnsafeMutablePointer<Float>) {
        var i = 0
        func put(_ value: Float) {
            out[i] = value
            i += 1
        }
        func put(_ values: [Float]) {
            values.withUnsafeBufferPointer { (out + i).update(from: $0.baseAddress!, count: $0.count) }
            i += values.count
        }
        let known = row >= 0 && Int(row) < itemFacts.count
        let facts = written?.facts ?? (known ? itemFacts[Int(row)] : ItemFacts())
        if spec.has(.channels) {
            (out + i).update(repeating: 0, count: channels.count)
            // Channels without a column (the per-user cache, which training cannot replay) add
            // nothing, not even to the count of channels proposing.
            var proposing = 0
            for p in candidate.provenance where p.source < columns.count {
                guard let k = columns[p.source] else { continue }
                proposing += 1
                if out[i + k] == 0 { out[i + k] = 1 / Float(1 + p.rank) }
            }
            i += channels.count
            put(Float(proposing))
        }
        if let written {
            put(written.columns)
        } else if known {
            itemTable.withUnsafeBufferPointer { (out + i).update(from: $0.baseAddress! + Int(row) * itemWidth, count: itemWidth) }
            i += itemWidth
        } else {
            put(unknownItem)
        }
        if spec.has(.item) {
            let age = facts.created.isNaN ? nil : max(0, request.now - facts.created)
            put(age.map { Float(exp2(-$0 / freshnessHalfLife)) } ?? 0)
            let bucket = age.map { a in spec.ageBuckets.firstIndex { a < $0 * 3_600 } ?? spec.ageBuckets.count }
            for k in 0...spec.ageBuckets.count { put(k == bucket ? 1 : 0) }
        }
        put(request.user)
        if spec.has(.profile) {
            put(request.profile)
            let tags = written.map { $0.tags[...] } ?? itemTags[Int(facts.tags.lowerBound)..<Int(facts.tags.upperBound)]
            let shared = request.tags.isEmpty ? 0 : tags.reduce(0) { $0 + (request.tags.contains($1) ? 1 : 0) }
            put(tags.isEmpty ? 0 : Float(shared) / Float(tags.count))
        }
        if spec.has(.interest) {
            put(request.levelClickLogits[facts.leaf >= 0 ? Int(facts.leaf) : levelCount])
            put(request.levelClickLogits[facts.top >= 0 ? Int(facts.top) : levelCount])
            put(facts.leaf >= 0 ? request.recentShares[Int(facts.leaf)] : 0)
            put(facts.author >= 0 && request.followed.contains(facts.author) ? 1 : 0)
            // The great-circle distance from the chord between the two unit vectors.
            let both = request.place.w * facts.place.w
            let d = (request.place - facts.place) * SIMD4(1, 1, 1, 0)
            let chord = (d * d).sum().squareRoot()
            put(both * log1p(2 * 6_371 * asin(min(1, chord / 2))))
            put(both)
        }
        put(request.context)
        if spec.has(.ids) {
            let codes = known || written != nil ? facts.codes : SIMD4(Self.idCode(candidate.item), 0, 0, 0)
            for k in 0..<3 { put(codes[k]) }
            put(request.code)
        }
        put(request.history)
        if spec.has(.categorySequence) {
            let width = 2 * spec.categorySequenceLength
            let block = facts.leaf >= 0 ? Int(request.categoryStart[Int(facts.leaf)]) : -1
            if block >= 0 {
                request.categorySequences.withUnsafeBufferPointer { (out + i).update(from: $0.baseAddress! + block * width, count: width) }
            } else {
                (out + i).update(repeating: 0, count: width)
            }
            i += width
        }
    }

    /// The code of an id in the `ids` columns: its stable hash in 1..<2²⁴, exact as a `Float`.
    static func idCode(_ id: String) -> Float {
        Float(StableHash.hash(id) % 16_777_215 + 1)
    }

    static func logit(_ p: Double) -> Float {
        let clamped = min(max(p, 1e-6), 1 - 1e-6)
        return Float(log(clamped / (1 - clamped)))
    }
}
