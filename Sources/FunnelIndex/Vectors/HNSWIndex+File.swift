import Foundation

/// Why an index file could not be read or written.
public struct IndexFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ path: String, _ why: String) { description = "\(path): \(why)" }
}

extension HNSWIndex {
    private static let magic = Array("FHN2".utf8)

    private struct Header: Codable {
        var metric: VectorMetric
        var dimension: Int
        var count: Int
        var parameters: Parameters
        var entryPoint: Int32
        var topLevel: Int
        var quantizer: ScalarQuantizer?
    }

    /// Writes the index: magic, header length and a JSON header (with the quantizer's ranges, if
    /// any), then, each section starting on a 64-byte boundary, the vectors (Float32, or UInt8
    /// codes when quantized), their squared norms (Float32; none when quantized), the layer-0 links
    /// (Int32, 2M + 1 per node), the node levels (UInt8), the upper-layer links of the nodes above
    /// layer 0 in node order, and the deletion bitset (UInt64); all little-endian. The sections
    /// stream to a temporary file, which is flushed to disk and then renamed over `url`, so a
    /// crash leaves either the old file or the new one.
    public func write(to url: URL) throws {
        let header = try JSONEncoder().encode(Header(metric: metric, dimension: dimension, count: count, parameters: parameters,
                                                     entryPoint: entryPoint, topLevel: topLevel, quantizer: quantizer))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil), let file = FileHandle(forWritingAtPath: temporary.path) else {
            throw IndexFileError(temporary.path, "cannot create: \(String(cString: strerror(errno)))")
        }
        var written = 0
        func put(_ raw: UnsafeRawBufferPointer) throws {
            guard raw.count > 0 else { return }
            try file.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none))
            written += raw.count
        }
        func align() throws { try [UInt8](repeating: 0, count: (64 - written % 64) % 64).withUnsafeBytes(put) }
        func section<T>(_ pointer: UnsafePointer<T>, _ count: Int) throws {
            try align()
            try put(UnsafeRawBufferPointer(UnsafeBufferPointer(start: pointer, count: count)))
        }
        do {
            try Self.magic.withUnsafeBytes(put)
            try withUnsafeBytes(of: UInt32(header.count).littleEndian, put)
            try header.withUnsafeBytes(put)
            if let codes {
                try section(codes.base, count * dimension)
                try align()
            } else {
                try section(vectors.base, count * dimension)
                try vectors.squaredNorms.withUnsafeBufferPointer { try section($0.baseAddress!, count) }
            }
            try section(links0, count * (maxLinks0 + 1))
            try levels.withUnsafeBufferPointer { try section($0.baseAddress!, $0.count) }
            try align()   // the upper links: one section written node by node
            for (node, level) in levels.enumerated() where level > 0 {
                try put(UnsafeRawBufferPointer(UnsafeBufferPointer(start: upperLinks[node]!, count: Int(level) * (parameters.m + 1))))
            }
            try deleted.words.withUnsafeBufferPointer { try section($0.baseAddress!, $0.count) }
            try file.synchronize()
            try file.close()
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw IndexFileError(url.path, "cannot replace: \(why)")
        }
    }

    /// Opens an index written by `write(to:)`. The file is mapped, not read: the vectors and the
    /// layer-0 links are served from the page cache (shared by every process that opens the same
    /// file) and only the small sections are copied. Every size, link and the entry point are
    /// checked before use. Adding vectors later copies the mapped sections first; the file itself
    /// never changes.
    public convenience init(contentsOf url: URL) throws {
        let mapping = try FileMapping(url)
        let bytes = UnsafeRawBufferPointer(mapping.bytes)
        func fail(_ why: String) -> IndexFileError { IndexFileError(url.path, why) }
        guard bytes.count >= 8, Array(bytes.prefix(4)) == Self.magic else { throw fail("not an HNSW index file of this version") }
        let headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard bytes.count >= 8 + headerLength,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + headerLength)])) else {
            throw fail("corrupt header")
        }
        let (n, d, m) = (header.count, header.dimension, header.parameters.m)
        guard n >= 0, d > 0, m >= 2, header.parameters.efConstruction >= 1 else { throw fail("impossible sizes in the header") }
        if let quantizer = header.quantizer, !quantizer.isValid || quantizer.dimension != d { throw fail("corrupt quantizer ranges") }
        self.init(dimension: d, metric: header.metric, parameters: header.parameters, capacity: 1, quantizer: header.quantizer)
        var offset = 8 + headerLength
        func section<T>(_ type: T.Type, _ count: Int) throws -> UnsafeMutablePointer<T> {
            offset += (64 - offset % 64) % 64
            let size = count * MemoryLayout<T>.stride
            guard count >= 0, offset + size <= bytes.count else { throw fail("file ends before its \(count) \(T.self) values") }
            defer { offset += size }
            return (mapping.bytes.baseAddress! + offset).bindMemory(to: T.self, capacity: count)
        }
        let quantized = header.quantizer == nil ? nil : try section(UInt8.self, n * d)
        let values = quantized == nil ? try section(Float.self, n * d) : nil
        let norms = try section(Float.self, quantized == nil ? n : 0)
        let links = try section(Int32.self, n * (maxLinks0 + 1))
        let levels = Array(UnsafeBufferPointer(start: try section(UInt8.self, n), count: n))
        let upperCount = levels.reduce(0) { $0 + Int($1) * (m + 1) }
        let upper = try section(Int32.self, upperCount)
        let words = try section(UInt64.self, (n + 63) / 64)
        guard offset == bytes.count else { throw fail("\(bytes.count - offset) bytes after the last section") }
        // Every count within its list, every neighbour a node, the entry point on the top layer.
        for node in 0..<n {
            let list = links + node * (maxLinks0 + 1)
            guard Self.isValidList(list, limit: maxLinks0, nodes: n) else { throw fail("layer-0 links of node \(node) are corrupt") }
        }
        for block in stride(from: 0, to: upperCount, by: m + 1) {
            guard Self.isValidList(upper + block, limit: m, nodes: n) else { throw fail("upper-layer links are corrupt") }
        }
        guard n == 0 ? header.entryPoint == -1 : (0..<Int32(n)).contains(header.entryPoint) && Int(levels[Int(header.entryPoint)]) == header.topLevel else {
            throw fail("entry point \(header.entryPoint) is not a node on layer \(header.topLevel)")
        }
        if let codes, let quantized {
            codes.adopt(rows: quantized, count: n, owner: mapping)
        } else if let values {
            vectors.adopt(rows: values, count: n, squaredNorms: Array(UnsafeBufferPointer(start: norms, count: n)), owner: mapping)
        }
        restore(mapping: mapping, links0: links, levels: levels, upper: upper,
                deleted: UnsafeBufferPointer(start: words, count: (n + 63) / 64), entryPoint: header.entryPoint, topLevel: header.topLevel)
    }

    /// A count within `limit`, then that many ids of existing nodes.
    private static func isValidList(_ list: UnsafePointer<Int32>, limit: Int, nodes: Int) -> Bool {
        let count = Int(list[0])
        guard count >= 0, count <= limit else { return false }
        for k in 0..<count where list[k + 1] < 0 || Int(list[k + 1]) >= nodes { return false }
        return true
    }
}
