import Foundation
import FunnelIndex
import Testing

@Suite struct BloomFilterTests {
    @Test func sizingFollowsTheFormulas() {
        // m = −n ln p / (ln 2)² = 1000 · 4.60517 / 0.480453 = 9585.06 → 9586; k = (m/n) ln 2 = 6.64 → 7.
        let filter = BloomFilter(expectedCount: 1000, falsePositiveRate: 0.01)
        #expect(filter.bitCount == 9586 && filter.hashCount == 7)
        #expect(abs(filter.expectedFalsePositiveRate(count: 1000) - 0.01) < 0.0005)
    }

    /// Inserts n keys, then asks about enough other keys to expect 2,000 false positives, so the
    /// measured rate has a relative standard error near 2%.
    @Test(arguments: [(1_000, 0.05), (10_000, 0.01), (50_000, 0.001), (2_000, 0.2)])
    func falsePositiveRateMatchesTheory(n: Int, p: Double) {
        var filter = BloomFilter(expectedCount: n, falsePositiveRate: p)
        for k in 0..<n { filter.insert("item-\(k)") }
        for k in 0..<n { #expect(filter.contains("item-\(k)"), "false negative for item-\(k)") }
        let queries = Int(2_000 / p)
        var positives = 0
        for k in 0..<queries where filter.contains("other-\(k)") { positives += 1 }
        let measured = Double(positives) / Double(queries), theory = filter.expectedFalsePositiveRate(count: n)
        #expect(abs(measured - theory) <= 0.1 * theory, "n \(n), p \(p): measured \(measured), theory \(theory)")
        #expect(abs(theory - p) <= 0.1 * p, "sizing for p \(p) predicts \(theory)")
    }

    @Test func bytesRoundTripAndCorruptionIsRejected() throws {
        var filter = BloomFilter(expectedCount: 100, falsePositiveRate: 0.01)
        for k in 0..<100 { filter.insert("i\(k)") }
        let restored = try BloomFilter(serialized: filter.serialized)
        #expect(restored == filter && restored.contains("i42") && restored.insertedCount == 100)
        let bytes = filter.serialized
        #expect(throws: BloomFilterError.self) { try BloomFilter(serialized: bytes.dropLast()) }
        #expect(throws: BloomFilterError.self) { try BloomFilter(serialized: Data("FBF0".utf8) + bytes.dropFirst(4)) }
        var wrongSize = bytes
        wrongSize[4] ^= 0x40   // m no longer matches the number of words
        #expect(throws: BloomFilterError.self) { try BloomFilter(serialized: wrongSize) }
        #expect(throws: BloomFilterError.self) { try BloomFilter(serialized: Data()) }
    }

    /// Hashes are fixed functions (saved filters stay valid in every process): FNV-1a's published
    /// value for "a", and the SplitMix64 finaliser's first output for seed 0.
    @Test func hashesMatchReferenceValues() {
        #expect(StableHash.mix(0x9E37_79B9_7F4A_7C15) == 0xE220_A839_7B1D_CDAF)
        #expect(StableHash.hash("a") == StableHash.mix(0xAF63_DC4C_8601_EC8C))
    }

    /// The union answers for the keys of both, and its count estimates the distinct keys (a key
    /// in both counts once) from the bits set.
    @Test func unionCountsDistinctKeys() {
        var a = BloomFilter(expectedCount: 1_000, falsePositiveRate: 0.01), b = a
        for k in 0..<600 { a.insert("k\(k)") }
        for k in 300..<900 { b.insert("k\(k)") }
        a.formUnion(b)
        #expect((0..<900).allSatisfy { a.contains("k\($0)") })
        #expect(abs(a.insertedCount - 900) < 30, "estimated \(a.insertedCount) distinct keys of 900")
        #expect(!a.isCompatible(with: BloomFilter(expectedCount: 10, falsePositiveRate: 0.01)))
    }
}
