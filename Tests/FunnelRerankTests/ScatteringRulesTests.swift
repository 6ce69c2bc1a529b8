import Testing
@testable import FunnelRerank

@Suite struct ScatteringRulesTests {
    static func candidates(categories: [Int32], authors: [Int32]? = nil, fresh: Set<Int> = []) -> [ScatteringRules.Candidate] {
        categories.indices.map { ScatteringRules.Candidate(category: categories[$0], author: authors?[$0] ?? -1, isFresh: fresh.contains($0)) }
    }

    /// One of a category in any 3 slots, by hand: A A B A C B gives A B C A B, then the last A
    /// fills the sixth slot though it breaks the rule (nothing else is left).
    @Test func categoriesByHand() {
        var rules = ScatteringRules()
        (rules.window, rules.maxPerCategory) = (3, 1)
        #expect(rules.order(Self.candidates(categories: [0, 0, 1, 0, 2, 1]), n: 6) == [0, 2, 4, 1, 5, 3])
        #expect(rules.order(Self.candidates(categories: [0, 0, 1, 0, 2, 1]), n: 3) == [0, 2, 4])
    }

    @Test func authorsByHand() {
        var rules = ScatteringRules()
        (rules.window, rules.maxPerAuthor) = (2, 1)
        // Authors 7 7 8 8 9: no author twice in a row.
        #expect(rules.order(Self.candidates(categories: [0, 0, 0, 0, 0], authors: [7, 7, 8, 8, 9]), n: 5) == [0, 2, 1, 3, 4])
        // Items with no author (-1) are never held back.
        #expect(rules.order(Self.candidates(categories: [0, 0, 0], authors: [-1, -1, -1]), n: 3) == [0, 1, 2])
    }

    /// A third of 6 slots for fresh items (2), promotions at least 2 slots apart: the fresh 8
    /// takes slot 0, and the fresh 9 slot 3.
    @Test func freshSlotsByHand() {
        var rules = ScatteringRules()
        (rules.freshShare, rules.freshGap) = (0.33, 2)
        let candidates = Self.candidates(categories: Array(repeating: -1, count: 10), fresh: [8, 9])
        #expect(rules.order(candidates, n: 6) == [8, 0, 1, 9, 2, 3])
        // A fresh item already in its place counts towards the share and is no promotion (the
        // gap counts from promotions), so the second is promoted at once.
        #expect(rules.order(Self.candidates(categories: Array(repeating: -1, count: 10), fresh: [0, 9]), n: 6) == [0, 9, 1, 2, 3, 4])
        // The last slots are promoted regardless of the gap when the share is still owed.
        rules.freshGap = 10
        #expect(rules.order(candidates, n: 6) == [8, 0, 1, 2, 3, 9])
    }

    @Test func offKeepsTheOrder() {
        let rules = ScatteringRules()
        #expect(rules.isOff && rules.order(Self.candidates(categories: [0, 0, 0, 0]), n: 3) == [0, 1, 2])
    }

    /// On random candidates with enough variety, every window of the result keeps both rules.
    @Test func randomFeedsKeepTheRules() {
        var rules = ScatteringRules()
        (rules.window, rules.maxPerCategory, rules.maxPerAuthor) = (4, 2, 1)
        var state: UInt64 = 42
        func next(_ n: Int) -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32((state >> 33) % UInt64(n))
        }
        for _ in 0..<200 {
            let candidates = (0..<100).map { _ in ScatteringRules.Candidate(category: next(6), author: next(30), isFresh: false) }
            let order = rules.order(candidates, n: 20)
            #expect(Set(order).count == 20)
            for end in 4...20 {
                let window = order[(end - 4)..<end].map { candidates[$0] }
                #expect(Dictionary(grouping: window, by: \.category).values.allSatisfy { $0.count <= 2 })
                #expect(Dictionary(grouping: window, by: \.author).values.allSatisfy { $0.count <= 1 })
            }
        }
    }
}
