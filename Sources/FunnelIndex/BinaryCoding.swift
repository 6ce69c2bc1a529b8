import Foundation

/// Little-endian fixed-width fields appended to bytes, for the compact formats of the filters.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Double) { append(value.bitPattern) }

    mutating func append(words: [UInt64]) {
        #if _endian(little)
        words.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for word in words { append(word) }
        #endif
    }

    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    var data: Data { Data(bytes) }
}

/// Reads what `BinaryWriter` wrote, throwing `BloomFilterError` (with `what` named) when the
/// bytes run out.
struct BinaryReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    let what: String

    init(_ data: Data, what: String) {
        bytes = [UInt8](data)
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw BloomFilterError("\(what): \(bytes.count) bytes is too short") }
        defer { offset += size }
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) })
    }

    mutating func read(_: Double.Type) throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    mutating func readWords(_ count: Int) throws -> [UInt64] {
        guard count >= 0, remaining >= 8 * count else { throw BloomFilterError("\(what): \(bytes.count) bytes is too short") }
        defer { offset += 8 * count }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * $0, as: UInt64.self)) }
        }
    }

    mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw BloomFilterError("\(what): \(bytes.count) bytes is too short") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}
