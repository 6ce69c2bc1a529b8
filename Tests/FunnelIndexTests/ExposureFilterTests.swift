import Foundation
import FunnelIndex
import Testing

@Suite struct ExposureFilterTests {
    static let day0 = Date(timeIntervalSince1970: 1_735_689_600)   // a segment boundary (UTC midnight)
    static func day(_ d: Double) -> Date { day0.addingTimeInterval(d * 86_400) }

    @Test func remembersForTheWindowThenForgets() {
        var filter = ExposureFilter()
        filter.insert("i1", at: Self.day(0.5))
        for d in 0..<7 { #expect(filter.contains("i1", now: Self.day(Double(d) + 0.9)), "forgotten on day \(d)") }
        #expect(!filter.contains("i1", now: Self.day(7.1)), "remembered past the 7-day window")
        filter.insert("i2", at: Self.day(10))
        filter.insert("late", at: Self.day(2))   // older than the window behind day 10: ignored
        #expect(!filter.contains("late", now: Self.day(10)))
        #expect(!filter.contains("i1", now: Self.day(0.9)), "inserting on day 10 dropped day 0's segment")
        filter.expire(now: Self.day(30))
        #expect(!filter.contains("i2", now: Self.day(10)))
    }

    /// A full window (7 segments at their expected load) keeps the union near the target rate.
    @Test func falsePositiveRateOfTheWindow() {
        var configuration = ExposureFilter.Configuration()
        configuration.expectedPerSegment = 1_000
        var filter = ExposureFilter(configuration)
        for d in 0..<7 { for k in 0..<1_000 { filter.insert("d\(d)-\(k)", at: Self.day(Double(d) + 0.5)) } }
        let now = Self.day(6.9)
        for d in 0..<7 { for k in stride(from: 0, to: 1_000, by: 7) { #expect(filter.contains("d\(d)-\(k)", now: now)) } }
        let queries = 300_000
        let positives = (0..<queries).filter { filter.contains("other-\($0)", now: now) }.count
        let rate = Double(positives) / Double(queries)
        #expect(rate > 0.008 && rate < 0.011, "window false-positive rate \(rate) for a target of 0.01")
    }

    @Test func bytesRoundTrip() throws {
        var filter = ExposureFilter()
        for k in 0..<50 { filter.insert("i\(k)", at: Self.day(Double(k % 3))) }
        let restored = try ExposureFilter(serialized: filter.serialized)
        #expect(restored == filter && restored.contains("i49", now: Self.day(2)))
        #expect(throws: BloomFilterError.self) { try ExposureFilter(serialized: filter.serialized.dropLast(3)) }
        #expect(throws: BloomFilterError.self) { try ExposureFilter(serialized: Data([9, 0, 0, 0, 1, 2])) }
    }

    /// Two servers' filters of one user merge into one that holds both, whichever merges first,
    /// and merging a filter with an older copy of itself changes nothing it answers.
    @Test func unionHoldsBothSides() {
        var a = ExposureFilter(), b = ExposureFilter()
        for k in 0..<40 { a.insert("a\(k)", at: Self.day(Double(k % 4) + 0.5)) }
        let older = a
        for k in 0..<40 { b.insert("b\(k)", at: Self.day(Double(k % 5) + 0.5)) }
        a.insert("a-late", at: Self.day(4.5))
        var ab = a, ba = b
        ab.formUnion(b)
        ba.formUnion(a)
        #expect(ab == ba)
        let now = Self.day(4.9)
        for k in 0..<40 { #expect(ab.contains("a\(k)", now: now) && ab.contains("b\(k)", now: now)) }
        #expect(ab.contains("a-late", now: now))
        var again = ab
        again.formUnion(older)
        #expect(again == ab)
    }

    /// A filter saved under another configuration (another expected load) keeps its segments
    /// beside the new ones, and the union still drops what left the window.
    @Test func unionAcrossConfigurations() {
        var small = ExposureFilter.Configuration()
        small.expectedPerSegment = 50
        var old = ExposureFilter(small), current = ExposureFilter()
        old.insert("old", at: Self.day(1.5))
        old.insert("gone", at: Self.day(-9))
        current.insert("new", at: Self.day(1.6))
        current.formUnion(old)
        #expect(current.contains("old", now: Self.day(2)) && current.contains("new", now: Self.day(2)))
        #expect(!current.contains("gone", now: Self.day(2)))
        current.insert("newer", at: Self.day(1.7))
        #expect(current.contains("newer", now: Self.day(2)))
        let restored = try? ExposureFilter(serialized: current.serialized)
        #expect(restored == current)
    }
}
