import Foundation

/// Which features the ranker sees, as `[pipeline.features]` sets them. Every group is computed
/// by the same code when training examples are built (as of the moment the training window
/// starts, so no example sees its own outcome) and when a feed is served.
///
/// - `channels`: per channel, 1/(1 + rank) where it proposed the candidate, and how many did.
/// - `item`: over each window, the item's Bayesian-smoothed click rate (per exposure) and like,
///   collect, share, comment and completion rates (per click), as log-odds, and its exposures;
///   its freshness, its age in buckets and its duration.
/// - `author`: over each window, the author's smoothed click and follow rates and exposures.
/// - `user`: over each window, the user's smoothed click rate and exposures.
/// - `interest`: the user's smoothed click rate on the item's leaf category and on its top
///   category, the leaf's share of the user's last actions, whether the user follows the
///   author, and the distance from the user to the item.
/// - `context`: hour of day and day of week (as angles), and the device and city, each hashed
///   into `hashBuckets` one-hot columns so that an unseen or rare value costs no new column.
/// - `profile`: what the stored records say. The user's categorical attributes (as
///   `name=value`) and tags, hashed into `hashBuckets` columns; the item's tags, the same way;
///   the numeric attributes named in `userNumeric` and `itemNumeric` (signed log(1 + |x|), 0
///   when missing), each also one-hot over its buckets when `numericBuckets` gives it
///   boundaries (no column set when missing); and the share of the item's tags that the user's
///   tags hold.
/// - `ids`: the item, its author, its leaf category and the user, each as a code naming the id
///   (`id:item`, …; 0 when missing) that a model embeds: the multi-task ranker gives the ids
///   frequent in its training rows vectors of their own and hashes the rest into shared ones
///   (`idMinCount`, `idBuckets`); a linear ranker leaves these columns out.
/// - `sequence`: the user's behaviour sequence, the items of their last `sequenceLength`
///   positive actions (clicks, likes, collects, shares, comments, purchases) before the moment,
///   newest first, each as the codes of the item and of its leaf category (`id:history:item#k`,
///   `id:history:category#k`; 0 past the sequence's end). It is read from the same LastN index
///   the channels read, so it needs the `ids` group, whose item and category rows its steps
///   share; the multi-task ranker pools it by attention to each candidate (DIN) or by its mean.
///   An item the item space does not hold (written since the build) is skipped.
/// - `categorySequence`: per candidate, the user's last `categorySequenceLength` positive
///   actions on items of the candidate's leaf category, found in their long history of
///   `longHistoryLength` positive actions (SIM's hard search, Pi et al., CIKM 2020), newest
///   first: each step the item's code and the bucket of the action's age (`id:category-sequence:item#k`,
///   `id:category-sequence:age#k`: bucket 1 holds ages under an hour, bucket b > 1 those of
///   2^(b−2) to 2^(b−1) hours, the last one every older action; 0 past the sequence's end). It needs the `ids` group, whose item rows its steps
///   share; the multi-task ranker pools it by attention to the candidate with a vector per age
///   bucket. Items outside the item space are skipped.
public struct FeatureSpec: Codable, Sendable, Equatable {
    public enum Group: String, Codable, Sendable, CaseIterable {
        case channels, item, author, user, interest, context, profile, ids, sequence, categorySequence
    }

    /// The longest behaviour sequence: the LastN index keeps each user's last 50 actions.
    public static let longestSequence = 50

    /// The longest long history searched by the category sequence.
    public static let longestHistory = 10_000

    /// Every group but `ids` and the sequences, which a configuration adds: on the simulated
    /// worlds the statistics already carry most of what they would (see
    /// `Benchmarks/results/rankers-simulated.md`).
    public var groups: [Group] = Group.allCases.filter { ![.ids, .sequence, .categorySequence].contains($0) }
    /// The statistics' windows, in days.
    public var windows: [Int] = [1, 7, 30]
    /// Pseudo-exposures (or pseudo-clicks) of every rate's prior.
    public var priorStrength = 50.0
    public var hashBuckets = 8
    /// Upper bounds, in hours, of the item-age buckets; one more bucket holds the older items.
    public var ageBuckets: [Double] = [1, 6, 24, 72, 168]
    /// The users' and the items' numeric attributes (`User.numeric`, `Item.numeric`) the
    /// `profile` group reads, a column each.
    public var userNumeric: [String] = []
    public var itemNumeric: [String] = []
    /// Increasing boundaries per numeric attribute of `userNumeric` or `itemNumeric`: k
    /// boundaries make k + 1 buckets, x < b₁, b₁ ≤ x < b₂, …, x ≥ b_k, for what a log cannot
    /// express (a price band that converts, an age group).
    public var numericBuckets: [String: [Double]] = [:]
    /// Steps of the `sequence` group.
    public var sequenceLength = 20
    /// Steps of the `categorySequence` group, and the positive actions per user it searches.
    public var categorySequenceLength = 16
    public var longHistoryLength = 1_000

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FeatureSpec()
        if let names = try c.decodeIfPresent([String].self, forKey: .groups) {
            groups = try names.map { name in
                guard let group = Group(rawValue: name) else {
                    throw PipelineError("pipeline.features.groups: unknown feature group '\(name)'; the groups are "
                        + Group.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return group
            }
        }
        windows = try c.decodeIfPresent([Int].self, forKey: .windows) ?? d.windows
        priorStrength = try c.decodeIfPresent(Double.self, forKey: .priorStrength) ?? d.priorStrength
        hashBuckets = try c.decodeIfPresent(Int.self, forKey: .hashBuckets) ?? d.hashBuckets
        ageBuckets = try c.decodeIfPresent([Double].self, forKey: .ageBuckets) ?? d.ageBuckets
        userNumeric = try c.decodeIfPresent([String].self, forKey: .userNumeric) ?? d.userNumeric
        itemNumeric = try c.decodeIfPresent([String].self, forKey: .itemNumeric) ?? d.itemNumeric
        numericBuckets = try c.decodeIfPresent([String: [Double]].self, forKey: .numericBuckets) ?? d.numericBuckets
        sequenceLength = try c.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? d.sequenceLength
        categorySequenceLength = try c.decodeIfPresent(Int.self, forKey: .categorySequenceLength) ?? d.categorySequenceLength
        longHistoryLength = try c.decodeIfPresent(Int.self, forKey: .longHistoryLength) ?? d.longHistoryLength
    }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw PipelineError("pipeline.features.\(field) \(rule)") }
        }
        try check(!groups.isEmpty, "groups", "must name at least one group")
        try check(Set(groups).count == groups.count, "groups", "names a group twice")
        try check(!windows.isEmpty && windows.allSatisfy { $0 >= 1 }, "windows", "must be one or more whole days, each at least 1")
        try check(Set(windows).count == windows.count, "windows", "names a window twice")
        try check(priorStrength.isFinite && priorStrength >= 0, "priorStrength", "must be a finite number, not negative")
        try check((1...1024).contains(hashBuckets), "hashBuckets", "must be within 1…1024")
        try check(!has(.sequence) || has(.ids), "groups", "names 'sequence' without 'ids': the sequence's steps share the item and category rows of the ids")
        try check((1...Self.longestSequence).contains(sequenceLength), "sequenceLength",
                  "must be within 1…\(Self.longestSequence) (the LastN index keeps \(Self.longestSequence) actions per user)")
        try check(!has(.categorySequence) || has(.ids), "groups",
                  "names 'categorySequence' without 'ids': the category sequence's steps share the item rows of the ids")
        try check((1...Self.longestSequence).contains(categorySequenceLength), "categorySequenceLength", "must be within 1…\(Self.longestSequence)")
        try check((categorySequenceLength...Self.longestHistory).contains(longHistoryLength), "longHistoryLength",
                  "must be within categorySequenceLength (\(categorySequenceLength))…\(Self.longestHistory)")
        try check(ageBuckets.allSatisfy { $0.isFinite && $0 > 0 } && zip(ageBuckets, ageBuckets.dropFirst()).allSatisfy { $0 < $1 },
                  "ageBuckets", "must be positive hours in increasing order")
        for (field, names) in [("userNumeric", userNumeric), ("itemNumeric", itemNumeric)] {
            try check(names.allSatisfy { !$0.isEmpty } && Set(names).count == names.count, field, "must name distinct attributes")
        }
        for (name, bounds) in numericBuckets.sorted(by: { $0.key < $1.key }) {
            try check(userNumeric.contains(name) || itemNumeric.contains(name), "numericBuckets.\(name)",
                      "names an attribute neither userNumeric nor itemNumeric lists")
            try check(!bounds.isEmpty && bounds.allSatisfy(\.isFinite) && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
                      "numericBuckets.\(name)", "must be finite boundaries in increasing order")
        }
    }

    public func has(_ group: Group) -> Bool { groups.contains(group) }
}
