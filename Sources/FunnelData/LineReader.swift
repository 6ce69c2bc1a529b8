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

    public struct Lines: IteratorProtocol {
        let handle: Handle
        let encoding: Encoding
        let chunkSize: Int
        var buffer = Data()
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
                if let newline = buffer[start...].firstIndex(of: 0x0A) {
                    defer { start = newline + 1 }
                    return emit(buffer[start..<newline])
                }
                if atEnd {
                    guard start < buffer.endIndex else { return nil }
                    defer { start = buffer.endIndex }
                    return emit(buffer[start...])
                }
                let chunk = handle.file.readData(ofLength: chunkSize)
                buffer = Data(buffer[start...]) + chunk
                start = buffer.startIndex
                atEnd = chunk.isEmpty
            }
        }

        private mutating func emit(_ bytes: Data) -> (String, Int) {
            number += 1
            var line = switch encoding {
            case .utf8: String(decoding: bytes, as: UTF8.self)
            case .latin1: String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
            }
            if line.hasSuffix("\r") { line.removeLast() }
            return (line, number)
        }
    }
}
