/// Rules a feed's order must keep after the reranker, as feeds apply them last ("scattering"):
/// at most `maxPerCategory` items of one category and `maxPerAuthor` of one author in any
/// `window` consecutive slots, and a share of the slots for fresh items, each promoted ahead of
/// its place at least `freshGap` slots after the previous promotion. Each rule is off at 0.
public struct ScatteringRules: Sendable, Equatable, Codable {
    public var window = 0
    public var maxPerCategory = 0
    public var maxPerAuthor = 0
    /// Of the feed's slots, the share kept for fresh items (as many as there are).
    public var freshShare = 0.0
    /// How recent an item must be to count as fresh.
    public var freshHours = 24.0
    /// Slots between two promoted fresh items.
    public var freshGap = 0

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ScatteringRules()
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? d.window
        maxPerCategory = try c.decodeIfPresent(Int.self, forKey: .maxPerCategory) ?? d.maxPerCategory
        maxPerAuthor = try c.decodeIfPresent(Int.self, forKey: .maxPerAuthor) ?? d.maxPerAuthor
        freshShare = try c.decodeIfPresent(Double.self, forKey: .freshShare) ?? d.freshShare
        freshHours = try c.decodeIfPresent(Double.self, forKey: .freshHours) ?? d.freshHours
        freshGap = try c.decodeIfPresent(Int.self, forKey: .freshGap) ?? d.freshGap
    }

    /// What the rules read of a candidate.
    public struct Candidate: Sendable, Equatable {
        public var category: Int32
        public var author: Int32
        public var isFresh: Bool

        /// `category`, `author`: ids within one feed (-1: none, which no rule counts).
        public init(category: Int32, author: Int32, isFresh: Bool) {
            (self.category, self.author, self.isFresh) = (category, author, isFresh)
        }
    }

    public var isOff: Bool { (window < 2 || (maxPerCategory == 0 && maxPerAuthor == 0)) && freshShare == 0 }

    /// `n` slots from `candidates`, listed in the order preferred (the reranker's order, then the
    /// rest): each slot takes the first candidate the window rules allow, or when a fresh
    /// promotion is due, the first fresh one they allow. When no candidate fits, the window
    /// rules give way (the first candidate left fills the slot) rather than shorten the feed.
    /// Returns indices into `candidates`.
    public func order(_ candidates: [Candidate], n: Int) -> [Int] {
        let n = min(n, candidates.count)
        guard !isOff, n > 0 else { return Array(0..<n) }
        var placed: [Int] = [], isPlaced = [Bool](repeating: false, count: candidates.count)
        let freshWanted = Int((freshShare * Double(n)).rounded(.up))
        var freshPlaced = 0, lastPromotion: Int?
        func allowed(_ c: Candidate) -> Bool {
            guard window >= 2 else { return true }
            let recent = placed.suffix(window - 1).map { candidates[$0] }
            if maxPerCategory > 0, c.category >= 0, recent.count(where: { $0.category == c.category }) >= maxPerCategory { return false }
            if maxPerAuthor > 0, c.author >= 0, recent.count(where: { $0.author == c.author }) >= maxPerAuthor { return false }
            return true
        }
        while placed.count < n {
            let slot = placed.count
            let remaining = candidates.indices.lazy.filter { !isPlaced[$0] }
            var choice = remaining.first { allowed(candidates[$0]) } ?? remaining.first!
            let slotsLeft = n - slot, freshOwed = freshWanted - freshPlaced
            let due = freshOwed > 0 && (slotsLeft <= freshOwed || lastPromotion.map { slot - $0 > freshGap } ?? true)
            if due, !candidates[choice].isFresh, let fresh = remaining.first(where: { candidates[$0].isFresh && allowed(candidates[$0]) }) {
                choice = fresh
                lastPromotion = slot
            }
            if candidates[choice].isFresh { freshPlaced += 1 }
            placed.append(choice)
            isPlaced[choice] = true
        }
        return placed
    }
}
