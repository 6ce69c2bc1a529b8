import Foundation
import FunnelPipeline
import Hummingbird

/// Request and response bodies as JSON, dates in ISO 8601, with errors that say what was wrong
/// and where ("record 3: field 'timestamp': expected an ISO 8601 date").
enum JSONBody {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let value = try decoder.singleValueContainer()
            let text = try value.decode(String.self)
            if let date = date(text) { return date }
            throw DecodingError.dataCorruptedError(in: value, debugDescription: "expected an ISO 8601 date such as 2026-11-29T10:00:00Z, got '\(text)'")
        }
        return decoder
    }()

    /// An RFC 3339 time: `t` and `z` may be lower case, and the offset may reach ±23:59
    /// (Foundation's parser stops at ±18:00).
    static func date(_ text: String) -> Date? {
        func parse(_ text: String) -> Date? {
            (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        let text = text.uppercased()
        if let date = parse(text) { return date }
        let offset = Array(text.suffix(6))
        guard offset.count == 6, offset[0] == "+" || offset[0] == "-", offset[3] == ":",
              let hours = Int(String(offset[1...2])), let minutes = Int(String(offset[4...5])), hours < 24, minutes < 60,
              let utc = parse(String(text.dropLast(6)) + "Z") else { return nil }
        let seconds = Double(hours * 3_600 + minutes * 60)
        return utc.addingTimeInterval(offset[0] == "+" ? -seconds : seconds)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// The body decoded as `T`: 413 beyond `limit` bytes, 400 for anything that is not a `T`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw HTTPError(.contentTooLarge, message: "request body exceeds \(limit) bytes")
        }
        guard buffer.readableBytes > 0 else { throw HTTPError(.badRequest, message: "empty request body: expected JSON") }
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: describe(error))
        }
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A feed as `response(result)` writes it, written directly (`feedBytes`) when it can be.
    static func feedResponse(_ result: FeedResult) throws -> Response {
        guard let bytes = feedBytes(result) else { return try response(result) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The encoder's JSON of a feed without explanations (keys sorted, numbers and strings as
    /// it writes them), written without its per-value dispatch, which took 3% of a server's CPU
    /// at 1,000 feeds/s; nil for a feed with explanations or a score that is not finite.
    static func feedBytes(_ result: FeedResult) -> [UInt8]? {
        guard result.explanation == nil, result.items.allSatisfy({ $0.channels == nil && $0.predictions == nil && $0.score.isFinite }) else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + 48 * result.items.count)
        bytes += #"{"items":["#.utf8
        for (k, entry) in result.items.enumerated() {
            bytes += (k == 0 ? #"{"item":"# : #",{"item":"#).utf8
            appendString(entry.item, to: &bytes)
            bytes += #","score":"#.utf8
            var number = entry.score.description
            if number.hasSuffix(".0") { number.removeLast(2) }
            bytes += number.utf8
            bytes.append(UInt8(ascii: "}"))
        }
        bytes += #"],"user":"#.utf8
        appendString(result.user, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `text` as a JSON string, escaped as the encoder escapes it (quote, backslash, slash and
    /// control characters; the rest as UTF-8).
    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes += [UInt8(ascii: "\\"), byte]
            case 0x0A: bytes += #"\n"#.utf8
            case 0x0D: bytes += #"\r"#.utf8
            case 0x09: bytes += #"\t"#.utf8
            case 0x08: bytes += #"\b"#.utf8
            case 0x0C: bytes += #"\f"#.utf8
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += #"\u00"#.utf8
                bytes += [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// "record 3, field 'context.hour': expected Int" rather than Foundation's paragraph.
    static func describe(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            guard !path.isEmpty else { return "body" }
            var parts: [String] = []
            var fields: [String] = []
            for key in path {
                if let index = key.intValue { parts.append("record \(index)") } else { fields.append(key.stringValue) }
            }
            if !fields.isEmpty { parts.append("field '\(fields.joined(separator: "."))'") }
            return parts.joined(separator: ", ")
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON" }
            return "\(place(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath + [key])): missing"
        case .typeMismatch(let type, let context):
            return "\(place(context.codingPath)): expected \(expected(type))"
        case .valueNotFound(let type, let context):
            return "\(place(context.codingPath)): expected \(expected(type)), got null"
        @unknown default:
            return "invalid JSON: \(error)"
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
