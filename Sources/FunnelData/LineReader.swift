import Foundation

/// Reads a text file line by line in fixed-size chunks, so memory stays constant whatever the file size.
public struct LineReader {
    /// How the file's bytes become text. MovieLens's older files are Latin-1.
    public enum Encoding: Sendable { case utf8, latin1 }

    public let url: URL
    public var encoding: Encoding
    public var chunkSize = 1 << 20

    public init(url: URL, encoding: Encoding = .utf8) {
        self.url = url
        self.encoding = encoding
    }

    /// Streams lines to `body` (with 1-based line numbers) without holding the file.
    public func scan(_ body: (String, Int) throws -> Void) throws {
        var lines = try open()
        while let (line, number) = lines.next() { try body(line, number) }
    }

    /// A pull-based reader over the file's lines; the file closes when the iterator is released.
    public func open() throws -> Lines {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw DataError(file: url.path, "cannot open file")
        }
        return Lines(handle: Handle(handle), encoding: encoding, chunkSize: chunkSize)
    }

    final class Handle {
        let file: FileHandle
        init(_ file: FileHandle) { self.file = file }
        deinit { try? file.close() }
    }

    /// Bytes are kept in an array and searched with `memchr`: `Data`'s inlined accessors carry
    /// dynamic exclusivity checks that cost more than the search itself.
    public struct Lines: IteratorProtocol {
        let handle: Handle
        let encoding: Encoding
        let chunkSize: Int
        var buffer: [UInt8] = []
        var start = 0
        var number = 0
        var atEnd = false

        init(handle: Handle, encoding: Encoding, chunkSize: Int) {
            self.handle = handle
            self.encoding = encoding
            self.chunkSize = chunkSize
        }

        /// The next line (without its `\n` or `\r\n`) and its number, or nil at the end.
        public mutating func next() -> (String, Int)? {
            while true {
                let from = start
                let newline: Int? = buffer.withUnsafeBufferPointer { bytes in
                    guard from < bytes.count, let found = memchr(bytes.baseAddress! + from, 0x0A, bytes.count - from) else { return nil }
                    return found.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: bytes.baseAddress!)
                }
                if let newline {
                    start = newline + 1
                    return emit(from..<newline)
                }
                if atEnd {
                    guard from < buffer.count else { return nil }
                    start = buffer.count
                    return emit(from..<buffer.count)
                }
                buffer.removeSubrange(0..<from)
                start = 0
                let chunk = handle.file.readData(ofLength: chunkSize)
                buffer.append(contentsOf: chunk)
                atEnd = chunk.isEmpty
            }
        }

        private mutating func emit(_ range: Range<Int>) -> (String, Int) {
            number += 1
            let end = range.upperBound > range.lowerBound && buffer[range.upperBound - 1] == 0x0D ? range.upperBound - 1 : range.upperBound
            let bytes = buffer[range.lowerBound..<end]
            let line = switch encoding {
            case .utf8: String(decoding: bytes, as: UTF8.self)
            case .latin1: String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
            }
            return (line, number)
        }
    }
}
