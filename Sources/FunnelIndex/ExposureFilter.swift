import Foundation

/// What a user has been shown recently, to keep it out of their next feeds.
///
/// A Bloom filter cannot forget, so the window is a ring of filters by time segment (one day by
/// default): insertions go to their time's segment, lookups ask every live segment, and whole
/// segments are dropped once they leave the window. A lookup asks `segmentCount` filters, so each
/// is sized for `falsePositiveRate / segmentCount` and their union keeps the target rate.
public struct ExposureFilter: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable, Codable {
        /// Exposures a segment is sized for (a user's typical exposures per segment).
        public var expectedPerSegment = 2_000
        public var falsePositiveRate = 0.01
        public var segmentSeconds: Double = 86_400
        public var segmentCount = 7

        public init() {}
    }

    public let configuration: Configuration
    /// Live segments by index (⌊time / segmentSeconds⌋), oldest first.
    private(set) var segments: [(index: Int64, filter: BloomFilter)] = []

    /// Each segment's bits and hashes under this configuration.
    private let segmentSize: (bitCount: Int, hashCount: Int)

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        segmentSize = BloomFilter.size(expectedCount: configuration.expectedPerSegment,
                                       falsePositiveRate: configuration.falsePositiveRate / Double(configuration.segmentCount))
    }

    public static func == (a: ExposureFilter, b: ExposureFilter) -> Bool {
        a.configuration == b.configuration && a.segments.map(\.index) == b.segments.map(\.index)
            && a.segments.map(\.filter) == b.segments.map(\.filter)
    }

    func segmentIndex(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 / configuration.segmentSeconds).rounded(.down))
    }

    /// Records that `item` was shown at `time`; exposures older than the window relative to the
    /// newest segment are ignored.
    public mutating func insert(_ item: String, at time: Date) {
        let index = segmentIndex(time)
        if let newest = segments.last?.index, index <= newest - Int64(configuration.segmentCount) { return }
        if let k = segments.firstIndex(where: { $0.index == index && $0.filter.hasSize(segmentSize) }) {
            segments[k].filter.insert(item)
            return
        }
        var filter = BloomFilter(bitCount: segmentSize.bitCount, hashCount: segmentSize.hashCount)
        filter.insert(item)
        segments.append((index, filter))
        segments.sort { $0.index < $1.index }
        expire(before: segments[segments.count - 1].index - Int64(configuration.segmentCount) + 1)
    }

    /// Adds everything `other` recorded, such as the same user's filter saved by another
    /// server: segments of the same time are OR-ed, and a segment this filter lacks is taken as
    /// it is. A segment sized differently (the filter was saved under another configuration)
    /// is kept beside this filter's own for its time rather than dropped, so changing the
    /// configuration forgets nothing that is still in the window.
    public mutating func formUnion(_ other: ExposureFilter) {
        for (index, filter) in other.segments {
            if let k = segments.firstIndex(where: { $0.index == index && $0.filter.isCompatible(with: filter) }) {
                segments[k].filter.formUnion(filter)
            } else {
                segments.append((index, filter))
            }
        }
        segments.sort { $0.index < $1.index }
        if let newest = segments.last?.index { expire(before: newest - Int64(configuration.segmentCount) + 1) }
    }

    /// Whether `item` was (probably) shown within the window ending at `now`.
    public func contains(_ item: String, now: Date) -> Bool {
        let oldest = segmentIndex(now) - Int64(configuration.segmentCount) + 1
        let hash = StableHash.hash(item)
        return segments.contains { $0.index >= oldest && $0.filter.contains(hash: hash) }
    }

    /// Drops segments that have left the window ending at `now`; call before saving.
    public mutating func expire(now: Date) {
        expire(before: segmentIndex(now) - Int64(configuration.segmentCount) + 1)
    }

    private mutating func expire(before oldest: Int64) {
        segments.removeAll { $0.index < oldest }
    }

    // MARK: Bytes

    static let magic: [UInt8] = Array("FEF2".utf8)

    /// A compact, versioned encoding (little-endian): magic; the configuration (expected per
    /// segment, false-positive rate, segment seconds, segment count); the number of segments;
    /// then each segment's index and its Bloom filter. Read on every feed of a user whose filter
    /// is stored, so no text header.
    public var serialized: Data {
        var writer = BinaryWriter(capacity: 40 + segments.reduce(0) { $0 + 36 + 8 * ($1.filter.bitCount + 63) / 64 })
        writer.append(Self.magic)
        writer.append(UInt32(clamping: configuration.expectedPerSegment))
        writer.append(configuration.falsePositiveRate)
        writer.append(configuration.segmentSeconds)
        writer.append(UInt32(clamping: configuration.segmentCount))
        writer.append(UInt32(segments.count))
        for (index, filter) in segments {
            writer.append(index)
            filter.write(to: &writer)
        }
        return writer.data
    }

    public init(serialized data: Data) throws {
        var reader = BinaryReader(data, what: "exposure filter")
        guard (try? reader.readBytes(4)) == Self.magic else { throw BloomFilterError("not an exposure filter (bad magic)") }
        var c = Configuration()
        c.expectedPerSegment = Int(try reader.read(UInt32.self))
        c.falsePositiveRate = try reader.read(Double.self)
        c.segmentSeconds = try reader.read(Double.self)
        c.segmentCount = Int(try reader.read(UInt32.self))
        guard c.expectedPerSegment > 0, c.falsePositiveRate > 0, c.falsePositiveRate < 1, c.segmentSeconds > 0, c.segmentSeconds.isFinite,
              (1...10_000).contains(c.segmentCount) else {
            throw BloomFilterError("exposure filter: corrupt configuration")
        }
        self.init(c)
        let count = Int(try reader.read(UInt32.self))
        guard count <= reader.remaining / 36 else { throw BloomFilterError("exposure filter: \(count) segments cannot fit") }
        for _ in 0..<count {
            let index = try reader.read(Int64.self)
            segments.append((index, try BloomFilter(from: &reader)))
        }
        guard reader.remaining == 0 else { throw BloomFilterError("exposure filter: \(reader.remaining) bytes after the last segment") }
    }
}
