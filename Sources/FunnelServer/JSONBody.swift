import Foundation
import Hummingbird

/// Request and response bodies as JSON, dates in ISO 8601, with errors that say what was wrong
/// and where ("record 3: field 'timestamp': expected an ISO 8601 date").
enum JSONBody {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let value = try decoder.singleValueContainer()
            let text = try value.decode(String.self)
            if let date = (try? Date(text, strategy: .iso8601)) ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) {
                return date
            }
            throw DecodingError.dataCorruptedError(in: value, debugDescription: "expected an ISO 8601 date such as 2026-11-29T10:00:00Z, got '\(text)'")
        }
        return decoder
    }()

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
