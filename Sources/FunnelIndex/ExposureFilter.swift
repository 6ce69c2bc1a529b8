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

    /// JSON configuration and segment indices, then each segment's filter bytes.
    private struct Header: Codable {
        var configuration: Configuration
        var segments: [Int64]
        var sizes: [Int]
    }

    public var serialized: Data {
        let filters = segments.map(\.filter.serialized)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys   // the same filter gives the same bytes
        let header = try! encoder.encode(Header(configuration: configuration, segments: segments.map(\.index), sizes: filters.map(\.count)))
        var data = Data()
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        for filter in filters { data.append(filter) }
        return data
    }

    public init(serialized data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw BloomFilterError("exposure filter: \(bytes.count) bytes is too short") }
        let headerSize = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard bytes.count >= 4 + headerSize,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[4..<(4 + headerSize)])),
              header.segments.count == header.sizes.count, header.sizes.allSatisfy({ $0 >= 0 }),
              header.sizes.reduce(4 + headerSize, +) == bytes.count else {
            throw BloomFilterError("exposure filter: corrupt header")
        }
        self.init(header.configuration)
        var offset = 4 + headerSize
        for (index, size) in zip(header.segments, header.sizes) {
            segments.append((index, try BloomFilter(serialized: Data(bytes[offset..<(offset + size)]))))
            offset += size
        }
    }
}
