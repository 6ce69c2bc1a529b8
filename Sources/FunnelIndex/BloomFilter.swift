import Foundation

/// A Bloom filter: set membership with no false negatives and a false-positive rate chosen at
/// construction. Sized from the expected count n and target rate p as m = −n ln p / (ln 2)² bits
/// and k = (m / n) ln 2 hashes; the k positions come from two hashes by double hashing
/// (g_i = h₁ + i·h₂ mod m, Kirsch and Mitzenmacher), so a key is hashed once.
public struct BloomFilter: Sendable, Equatable {
    public let bitCount: Int
    public let hashCount: Int
    private var words: [UInt64]
    /// Keys inserted (counting repeats), to tell when the filter is fuller than it was sized for.
    public private(set) var insertedCount = 0

    public init(expectedCount n: Int, falsePositiveRate p: Double) {
        let size = Self.size(expectedCount: n, falsePositiveRate: p)
        self.init(bitCount: size.bitCount, hashCount: size.hashCount)
    }

    /// The bits and hashes of a filter for n keys at false-positive rate p.
    public static func size(expectedCount n: Int, falsePositiveRate p: Double) -> (bitCount: Int, hashCount: Int) {
        guard n > 0, p > 0, p < 1 else { fatalError("a Bloom filter needs n > 0 and 0 < p < 1, got n \(n), p \(p)") }
        let m = max(64, Int((-Double(n) * log(p) / (log(2) * log(2))).rounded(.up)))
        return (m, max(1, Int((Double(m) / Double(n) * log(2)).rounded())))
    }

    public init(bitCount: Int, hashCount: Int) {
        guard bitCount > 0, hashCount > 0 else { fatalError("a Bloom filter needs at least one bit and one hash") }
        self.bitCount = bitCount
        self.hashCount = hashCount
        words = [UInt64](repeating: 0, count: (bitCount + 63) / 64)
    }

    /// The false-positive rate theory predicts after `count` distinct insertions: (1 − e^(−kn/m))^k.
    public func expectedFalsePositiveRate(count: Int) -> Double {
        pow(1 - exp(-Double(hashCount) * Double(count) / Double(bitCount)), Double(hashCount))
    }

    public mutating func insert(_ key: String) {
        insert(hash: StableHash.hash(key))
    }

    public func contains(_ key: String) -> Bool {
        contains(hash: StableHash.hash(key))
    }

    public mutating func insert(hash: UInt64) {
        let (h1, h2) = Self.split(hash), m = UInt64(bitCount)
        for i in 0..<UInt64(hashCount) {
            let bit = Int((h1 &+ i &* h2) % m)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        insertedCount += 1
    }

    public func contains(hash: UInt64) -> Bool {
        let (h1, h2) = Self.split(hash), m = UInt64(bitCount)
        for i in 0..<UInt64(hashCount) {
            let bit = Int((h1 &+ i &* h2) % m)
            if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Adds every key of `other`, a filter of the same size: the bitwise OR of the two. The
    /// count becomes the estimate of distinct keys from the bits set, −(m/k) ln(1 − X/m), since a
    /// key in both (a union of a filter with an older copy of itself) must not count twice.
    public mutating func formUnion(_ other: BloomFilter) {
        precondition(isCompatible(with: other), "a union of Bloom filters of different sizes")
        var set = 0
        for w in words.indices {
            words[w] |= other.words[w]
            set += words[w].nonzeroBitCount
        }
        let m = Double(bitCount)
        insertedCount = set >= bitCount ? max(insertedCount, other.insertedCount)
            : Int((-m / Double(hashCount) * log(1 - Double(set) / m)).rounded())
    }

    /// Whether the two filters have the same bits and hashes, so that one can take the other's keys.
    public func isCompatible(with other: BloomFilter) -> Bool { hasSize((other.bitCount, other.hashCount)) }

    func hasSize(_ size: (bitCount: Int, hashCount: Int)) -> Bool {
        bitCount == size.bitCount && hashCount == size.hashCount
    }

    /// Two independent-looking hashes from one: the key's hash and a remix of it (odd, so the
    /// k positions differ whenever m is odd or h₂ is not a multiple of a factor of m).
    static func split(_ hash: UInt64) -> (UInt64, UInt64) {
        (hash, StableHash.mix(hash ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    // MARK: Bytes

    static let magic: [UInt8] = Array("FBF1".utf8)

    /// A compact, versioned encoding: magic, m, k, inserted count, then the bit words (little-endian).
    public var serialized: Data {
        var writer = BinaryWriter(capacity: 28 + 8 * words.count)
        write(to: &writer)
        return writer.data
    }

    func write(to writer: inout BinaryWriter) {
        writer.append(Self.magic)
        for value in [UInt64(bitCount), UInt64(hashCount), UInt64(insertedCount)] { writer.append(value) }
        writer.append(words: words)
    }

    public init(serialized data: Data) throws {
        var reader = BinaryReader(data, what: "Bloom filter")
        try self.init(from: &reader)
        guard reader.remaining == 0 else { throw BloomFilterError("Bloom filter: \(reader.remaining) bytes after the bits") }
    }

    init(from reader: inout BinaryReader) throws {
        guard (try? reader.readBytes(4)) == Self.magic else { throw BloomFilterError("not a Bloom filter (bad magic)") }
        let m = try reader.read(UInt64.self), k = try reader.read(UInt64.self), count = try reader.read(UInt64.self)
        guard m > 0, m <= UInt64(Int32.max) * 64, k > 0, k <= 64 else {
            throw BloomFilterError("corrupt Bloom filter header (m \(m), k \(k))")
        }
        self.init(bitCount: Int(m), hashCount: Int(k))
        insertedCount = Int(clamping: count)
        words = try reader.readWords(words.count)
    }
}

public struct BloomFilterError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}
