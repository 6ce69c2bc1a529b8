import Foundation

/// How the columns of a generic CSV or JSON Lines file become users, items or events.
///
/// `columns` maps a record field (`user`, `item`, `timestamp`, …; see `fields`) to the name of the
/// column (CSV header) or key (JSON) holding it. List fields (`tags`, `categories`) are split on
/// `listSeparator` when they are text; JSON arrays are taken as they are.
public struct ColumnMapping: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case users, items, events }

    public enum TimeFormat: String, Sendable, CaseIterable {
        case unixSeconds = "unix", unixMilliseconds = "unix-ms", iso8601
    }

    public var kind: Kind
    public var columns: [String: String]
    /// The type of every event when no `type` column is mapped.
    public var eventType: EventType?
    public var timeFormat: TimeFormat = .unixSeconds
    public var listSeparator: Character = "|"
    /// Further columns stored as a user's or item's numeric features, and as a user's categorical ones.
    public var numericColumns: [String] = []
    public var categoricalColumns: [String] = []

    public static let fields: [Kind: [String]] = [
        .events: ["user", "item", "type", "timestamp", "watched", "duration", "value", "device", "city", "hour"],
        .users: ["id", "tags", "latitude", "longitude", "created"],
        .items: ["id", "categories", "tags", "author", "latitude", "longitude", "created", "expires", "hidden", "text"],
    ]

    public init(kind: Kind, columns: [String: String], eventType: EventType? = nil) {
        self.kind = kind
        self.columns = columns
        self.eventType = eventType
    }

    /// Rejects unknown fields and missing required ones before any row is read.
    public func validate() throws {
        let known = Self.fields[kind]!
        for field in columns.keys.sorted() where !known.contains(field) {
            throw RowError("'\(field)' is not a field of \(kind.rawValue); expected one of \(known.joined(separator: ", "))")
        }
        let required = switch kind {
        case .events: ["user", "item", "timestamp"] + (eventType == nil ? ["type"] : [])
        case .users, .items: ["id"]
        }
        for field in required where columns[field] == nil {
            throw RowError("no column is mapped to the required field '\(field)'" + (field == "type" ? " (or give a fixed event type)" : ""))
        }
        if kind != .users, !categoricalColumns.isEmpty { throw RowError("categorical columns apply to users only") }
        if kind == .events, !numericColumns.isEmpty { throw RowError("numeric columns apply to users and items only") }
    }

    /// Every column the mapping reads.
    public var sourceColumns: [String] { Array(columns.values) + numericColumns + categoricalColumns }

    /// A row's value of a column, as text or as a list.
    public enum Value {
        case text(String)
        case list([String])
    }

    /// Builds the record of one row; `value` returns a column's value, nil when absent or empty.
    public func record(_ value: (String) -> Value?) throws -> ImportRecord {
        func text(_ field: String) throws -> String? {
            guard let column = columns[field], let v = value(column) else { return nil }
            guard case .text(let s) = v else { throw RowError("column '\(column)' (\(field)) holds a list, not a single value") }
            return s
        }
        func required(_ field: String) throws -> String {
            guard let s = try text(field) else { throw RowError("column '\(columns[field]!)' (\(field)) is empty") }
            return s
        }
        func number(_ field: String) throws -> Double? {
            guard let s = try text(field) else { return nil }
            guard let n = Self.parseNumber(s) else { throw RowError("column '\(columns[field]!)' (\(field)): '\(s)' is not a number") }
            return n
        }
        func time(_ field: String) throws -> Date? {
            guard let s = try text(field) else { return nil }
            guard let t = Self.parseTime(s, format: timeFormat) else {
                throw RowError("column '\(columns[field]!)' (\(field)): '\(s)' is not a \(timeFormat.rawValue) time")
            }
            return t
        }
        func list(_ field: String) -> [String] {
            guard let column = columns[field], let v = value(column) else { return [] }
            switch v {
            case .list(let items): return items
            case .text(let s): return s.split(separator: listSeparator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
        func point() throws -> GeoPoint? {
            switch (try number("latitude"), try number("longitude")) {
            case (nil, nil): return nil
            case let (lat?, lon?): return GeoPoint(latitude: lat, longitude: lon)
            default: throw RowError("latitude and longitude must be given together")
            }
        }
        func numeric() throws -> [String: Double] {
            var features: [String: Double] = [:]
            for column in numericColumns {
                guard case .text(let s)? = value(column) else { continue }
                guard let n = Self.parseNumber(s) else { throw RowError("column '\(column)': '\(s)' is not a number") }
                features[column] = n
            }
            return features
        }

        switch kind {
        case .events:
            let type: EventType
            if let name = try text("type") {
                guard let parsed = EventType(rawValue: name) else {
                    throw RowError("unknown event type '\(name)'; expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                type = parsed
            } else if let eventType {
                type = eventType
            } else {
                throw RowError("column '\(columns["type"]!)' (type) is empty")
            }
            var hour: Int?
            if let h = try number("hour") {
                guard h == h.rounded() else { throw RowError("hour \(h) is not a whole number") }
                hour = Int(exactly: h)
            }
            guard let timestamp = try time("timestamp") else { throw RowError("column '\(columns["timestamp"]!)' (timestamp) is empty") }
            return .event(Event(userID: try required("user"), itemID: try required("item"), type: type, timestamp: timestamp,
                                watchedSeconds: try number("watched"), itemDuration: try number("duration"), value: try number("value"),
                                context: EventContext(device: try text("device"), city: try text("city"), hour: hour)))
        case .users:
            var categorical: [String: String] = [:]
            for column in categoricalColumns { if case .text(let s)? = value(column) { categorical[column] = s } }
            return .user(User(id: try required("id"), categorical: categorical, numeric: try numeric(), tags: list("tags"),
                              home: try point(), createdAt: try time("created")))
        case .items:
            var hidden = false
            if let h = try text("hidden") {
                switch h.lowercased() {
                case "1", "true", "yes": hidden = true
                case "0", "false", "no": hidden = false
                default: throw RowError("hidden: '\(h)' is not true/false")
                }
            }
            return .item(Item(id: try required("id"), categories: list("categories"), tags: list("tags"), authorID: try text("author"),
                              location: try point(), createdAt: try time("created"), expiresAt: try time("expires"),
                              isHidden: hidden, numeric: try numeric(), text: try text("text")))
        }
    }

    /// A number, allowing spaces around it; the common case without spaces skips trimming.
    static func parseNumber(_ s: String) -> Double? {
        Double(s) ?? Double(s.trimmingCharacters(in: .whitespaces))
    }

    static func parseTime(_ s: String, format: TimeFormat) -> Date? {
        switch format {
        case .unixSeconds: return parseNumber(s).map { Date(timeIntervalSince1970: $0) }
        case .unixMilliseconds: return parseNumber(s).map { Date(timeIntervalSince1970: $0 / 1000) }
        case .iso8601:
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            let full = ISO8601DateFormatter()
            if let d = full.date(from: trimmed) { return d }
            full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = full.date(from: trimmed) { return d }
            full.formatOptions = [.withFullDate]
            return full.date(from: trimmed)
        }
    }
}
