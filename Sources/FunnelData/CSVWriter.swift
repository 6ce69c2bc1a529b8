import Foundation

/// Writes CSV (RFC 4180) through a buffer: fields holding the delimiter, quotes or line breaks
/// are quoted, quotes doubled.
public final class CSVWriter {
    let handle: FileHandle
    var buffer: [UInt8] = []
    let flushSize = 1 << 20

    /// Creates (or truncates) the file at `url` and writes the header row.
    public init(url: URL, header: [String]) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw DataError(file: url.path, "cannot create file")
        }
        handle = try FileHandle(forWritingTo: url)
        buffer.reserveCapacity(flushSize + 4096)
        try write(header)
    }

    public func write(_ fields: [String?]) throws {
        for (k, field) in fields.enumerated() {
            if k > 0 { buffer.append(UInt8(ascii: ",")) }
            guard let field else { continue }
            if field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
                buffer.append(UInt8(ascii: "\""))
                for byte in field.utf8 {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: field.utf8)
            }
        }
        buffer.append(0x0A)
        if buffer.count >= flushSize { try flush() }
    }

    public func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes; the file is complete once this returns.
    public func close() throws {
        try flush()
        try handle.synchronize()
        try handle.close()
    }
}
