import Foundation
import FunnelData

/// Each id's most similar ids, with the ids themselves, ready to serve and to save: item → items
/// (ItemCF, Swing), user → users (UserCF), author → authors.
public struct NeighbourIndex: Sendable, Equatable {
    public var model: String
    public var ids: IDInterner
    public var lists: NeighbourLists

    public init(model: String, ids: IDInterner, lists: NeighbourLists) {
        guard lists.rowCount == ids.count else { fatalError("\(lists.rowCount) neighbour lists for \(ids.count) ids") }
        self.model = model
        self.ids = ids
        self.lists = lists
    }

    /// The id's neighbours, most similar first; empty for an unknown id.
    public func similar(to id: String) -> [(id: String, similarity: Double)] {
        guard let i = ids.lookup(id) else { return [] }
        let (neighbours, scores) = lists.row(Int(i))
        return zip(neighbours, scores).map { (ids.id(of: $0), Double($1)) }
    }

    // MARK: Bytes

    static let magic = Array("FNI1".utf8)

    private struct Header: Codable {
        var model: String
        var ids: [String]
        var entries: Int
    }

    /// Magic, a JSON header (model, ids, entry count), then offsets (Int64), neighbours
    /// (Int32) and scores (Float32), little-endian.
    public var serialized: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys   // the same index gives the same bytes
        let header = try! encoder.encode(Header(model: model, ids: ids.ids, entries: lists.neighbours.count))
        var data = Data(Self.magic)
        Self.append(UInt32(header.count), to: &data)
        data.append(header)
        for o in lists.offsets { Self.append(UInt64(o), to: &data) }
        for n in lists.neighbours { Self.append(UInt32(bitPattern: n), to: &data) }
        for s in lists.scores { Self.append(s.bitPattern, to: &data) }
        return data
    }

    public init(serialized data: Data) throws {
        let bytes = [UInt8](data)
        func fail(_ why: String) -> DataError { DataError(file: "neighbour index", why) }
        func integer<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
            var value: T = 0
            for b in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + b]) << (8 * b) }
            return value
        }
        guard bytes.count >= 8, Array(bytes[0..<4]) == Self.magic else { throw fail("not a neighbour index") }
        let headerSize = Int(integer(UInt32.self, at: 4))
        guard bytes.count >= 8 + headerSize, let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + headerSize)])) else {
            throw fail("corrupt header")
        }
        let rows = header.ids.count, entries = header.entries
        var at = 8 + headerSize
        guard entries >= 0, bytes.count == at + 8 * (rows + 1) + 8 * entries else { throw fail("size does not match \(rows) ids and \(entries) entries") }
        let offsets = (0...rows).map { Int(integer(UInt64.self, at: at + 8 * $0)) }
        at += 8 * (rows + 1)
        let neighbours = (0..<entries).map { Int32(bitPattern: integer(UInt32.self, at: at + 4 * $0)) }
        at += 4 * entries
        let scores = (0..<entries).map { Float(bitPattern: integer(UInt32.self, at: at + 4 * $0)) }
        guard offsets.first == 0, offsets.last == entries, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
              neighbours.allSatisfy({ $0 >= 0 && Int($0) < rows }) else { throw fail("offsets or neighbours out of range") }
        let interner: IDInterner
        do { interner = try IDInterner(ids: header.ids) } catch { throw fail("duplicate ids") }
        self.init(model: header.model, ids: interner, lists: NeighbourLists(offsets: offsets, neighbours: neighbours, scores: scores))
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }
}
