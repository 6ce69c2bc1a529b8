import Foundation

/// Reads a text file line by line in fixed-size chunks, so memory stays constant whatever the file size.
public struct LineReader {
    public let url: URL
    public var chunkSize = 1 << 20

    public init(url: URL) { self.url = url }

    /// Streams lines to `body` without holding the file.
    public func scan(_ body: (String, Int) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw DataError(file: url.path, "cannot open file")
        }
        defer { try? handle.close() }
        var pending = Data()
        var number = 0
        func emit(_ bytes: Data) throws {
            number += 1
            var line = String(decoding: bytes, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            try body(line, number)
        }
        while true {
            let chunk = handle.readData(ofLength: chunkSize)
            if chunk.isEmpty { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try emit(pending[start..<newline])
                start = pending.index(after: newline)
            }
            pending = pending[start...]
        }
        if !pending.isEmpty { try emit(pending) }
    }
}
