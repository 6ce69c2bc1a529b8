import Foundation

/// Why an index file could not be read.
public struct IndexFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ path: String, _ why: String) { description = "\(path): \(why)" }
}

extension HNSWIndex {
    private static let magic = Array("FHN1".utf8)

    private struct Header: Codable {
        var metric: VectorMetric
        var dimension: Int
        var count: Int
        var parameters: Parameters
        var entryPoint: Int32
        var topLevel: Int
    }

    /// Writes the index: magic, header length and a JSON header, then, each section starting on a
    /// 64-byte boundary, the vectors (Float32), the layer-0 links (Int32, 2M + 1 per node), the
    /// node levels (UInt8), the upper-layer links of the nodes above layer 0 in node order, and
    /// the deletion bitset (UInt64). All little-endian; written to a temporary file and renamed.
    public func write(to url: URL) throws {
        let header = try JSONEncoder().encode(Header(metric: metric, dimension: vectors.dimension, count: count, parameters: parameters,
                                                     entryPoint: entryPoint, topLevel: topLevel))
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        func align() { data.append(contentsOf: [UInt8](repeating: 0, count: (64 - data.count % 64) % 64)) }
        func section<T>(_ pointer: UnsafePointer<T>, _ count: Int) {
            align()
            data.append(UnsafeBufferPointer(start: pointer, count: count))
        }
        section(vectors.base, count * vectors.dimension)
        section(links0, count * (maxLinks0 + 1))
        levels.withUnsafeBufferPointer { section($0.baseAddress!, $0.count) }
        align()
        for (node, level) in levels.enumerated() where level > 0 {
            data.append(UnsafeBufferPointer(start: upperLinks[node]!, count: Int(level) * (parameters.m + 1)))
        }
        deleted.words.withUnsafeBufferPointer { section($0.baseAddress!, $0.count) }
        try data.write(to: url, options: .atomic)
    }

    /// Reads an index written by `write(to:)`, checking every size and link before using it.
    public convenience init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        func fail(_ why: String) -> IndexFileError { IndexFileError(url.path, why) }
        guard data.count >= 8, Array(data.prefix(4)) == Self.magic else { throw fail("not an HNSW index file") }
        let headerLength = Int(data[4]) | Int(data[5]) << 8 | Int(data[6]) << 16 | Int(data[7]) << 24
        guard data.count >= 8 + headerLength, let header = try? JSONDecoder().decode(Header.self, from: data.subdata(in: 8..<(8 + headerLength))) else {
            throw fail("corrupt header")
        }
        let (n, d, m) = (header.count, header.dimension, header.parameters.m)
        guard n >= 0, d > 0, m >= 2, header.parameters.efConstruction >= 1 else { throw fail("impossible sizes in the header") }
        self.init(dimension: d, metric: header.metric, parameters: header.parameters, capacity: max(1, n))
        var offset = 8 + headerLength
        func take<T>(_ type: T.Type, _ count: Int, aligned: Bool = true) throws -> [T] {
            if aligned { offset += (64 - offset % 64) % 64 }
            let bytes = count * MemoryLayout<T>.stride
            guard count >= 0, offset + bytes <= data.count else { throw fail("file ends before its \(count) \(T.self) values") }
            defer { offset += bytes }
            return data.subdata(in: offset..<(offset + bytes)).withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
        }
        let values = try take(Float.self, n * d)
        let links = try take(Int32.self, n * (maxLinks0 + 1))
        let levels = try take(UInt8.self, n)
        let upperCounts = levels.map { Int($0) * (m + 1) }
        let upper = try take(Int32.self, upperCounts.reduce(0, +))
        let words = try take(UInt64.self, (n + 63) / 64)
        guard offset == data.count else { throw fail("\(data.count - offset) bytes after the last section") }
        // Every count within its list, every neighbour a node, the entry point on the top layer.
        for node in 0..<n {
            let list = links[(node * (maxLinks0 + 1))..<((node + 1) * (maxLinks0 + 1))]
            guard let c = list.first, c >= 0, Int(c) <= maxLinks0, list.dropFirst().prefix(Int(c)).allSatisfy({ $0 >= 0 && Int($0) < n }) else {
                throw fail("layer-0 links of node \(node) are corrupt")
            }
        }
        for block in stride(from: 0, to: upper.count, by: m + 1) {
            let c = Int(upper[block])
            guard c >= 0, c <= m, upper[(block + 1)..<(block + 1 + c)].allSatisfy({ $0 >= 0 && Int($0) < n }) else {
                throw fail("upper-layer links are corrupt")
            }
        }
        guard n == 0 ? header.entryPoint == -1 : (0..<Int32(n)).contains(header.entryPoint) && Int(levels[Int(header.entryPoint)]) == header.topLevel else {
            throw fail("entry point \(header.entryPoint) is not a node on layer \(header.topLevel)")
        }
        values.withUnsafeBufferPointer { all in
            for node in 0..<n { vectors.append(UnsafeBufferPointer(rebasing: all[(node * d)..<((node + 1) * d)])) }
        }
        restore(links0: links, levels: levels, upper: upper, deleted: words, entryPoint: header.entryPoint, topLevel: header.topLevel)
    }
}
