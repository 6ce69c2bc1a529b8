import Foundation

/// A record that breaks a rule, naming the record and the field.
public struct ValidationError: Error, CustomStringConvertible, Equatable {
    public var record: String
    public var field: String
    public var message: String

    public var description: String { "\(record): \(field) \(message)" }
}

/// The limits every stored record obeys.
public enum Limits {
    public static let maximumIDBytes = 256
    /// Of an exposure's experiment arms (`context.experiments`).
    public static let maximumLabelBytes = 1_024
    /// Timestamps from 1970 to the end of 2199.
    public static let timeRange = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 7_258_118_399)
}

extension User {
    public func validate() throws {
        let record = "user '\(id.prefix(64))'"
        try checkID(id, record: record, field: "id")
        try checkNumbers(numeric, record: record)
        if let home { try checkPoint(home, record: record, field: "home") }
        if let createdAt { try checkTime(createdAt, record: record, field: "createdAt") }
    }
}

extension Item {
    public func validate() throws {
        let record = "item '\(id.prefix(64))'"
        try checkID(id, record: record, field: "id")
        if let authorID { try checkID(authorID, record: record, field: "authorID") }
        for path in categories where path.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ValidationError(record: record, field: "categories", message: "'\(path)' has an empty level")
        }
        try checkNumbers(numeric, record: record)
        if let location { try checkPoint(location, record: record, field: "location") }
        if let createdAt { try checkTime(createdAt, record: record, field: "createdAt") }
        if let expiresAt { try checkTime(expiresAt, record: record, field: "expiresAt") }
        if let contentVector, contentVector.contains(where: { !$0.isFinite }) {
            throw ValidationError(record: record, field: "contentVector", message: "contains NaN or infinity")
        }
    }
}

extension Event {
    public func validate() throws {
        let record = "event \(type.rawValue) of user '\(userID.prefix(64))' on item '\(itemID.prefix(64))'"
        try checkID(userID, record: record, field: "userID")
        try checkID(itemID, record: record, field: "itemID")
        try checkTime(timestamp, record: record, field: "timestamp")
        for (name, value) in [("watchedSeconds", watchedSeconds), ("itemDuration", itemDuration)] {
            if let value, !(value.isFinite && value >= 0) {
                throw ValidationError(record: record, field: name, message: "must be a non-negative number, got \(value)")
            }
        }
        if let value, !value.isFinite {
            throw ValidationError(record: record, field: "value", message: "must be a finite number, got \(value)")
        }
        if type == .rating, value == nil {
            throw ValidationError(record: record, field: "value", message: "is required for a rating")
        }
        if let hour = context.hour, !(0...23).contains(hour) {
            throw ValidationError(record: record, field: "context.hour", message: "must be 0–23, got \(hour)")
        }
        if let experiments = context.experiments, experiments.utf8.count > Limits.maximumLabelBytes {
            throw ValidationError(record: record, field: "context.experiments",
                                  message: "is \(experiments.utf8.count) bytes; the limit is \(Limits.maximumLabelBytes)")
        }
    }
}

private func checkID(_ id: String, record: String, field: String) throws {
    if id.isEmpty { throw ValidationError(record: record, field: field, message: "is empty") }
    if id.utf8.contains(0) { throw ValidationError(record: record, field: field, message: "contains a NUL character") }
    if id.utf8.count > Limits.maximumIDBytes {
        throw ValidationError(record: record, field: field, message: "is \(id.utf8.count) bytes; the limit is \(Limits.maximumIDBytes)")
    }
}

private func checkNumbers(_ values: [String: Double], record: String) throws {
    for (name, value) in values.sorted(by: { $0.key < $1.key }) where !value.isFinite {
        throw ValidationError(record: record, field: "numeric.\(name)", message: "is \(value); features must be finite")
    }
}

private func checkPoint(_ p: GeoPoint, record: String, field: String) throws {
    guard (-90...90).contains(p.latitude), (-180...180).contains(p.longitude) else {
        throw ValidationError(record: record, field: field, message: "(\(p.latitude), \(p.longitude)) is not a valid latitude/longitude")
    }
}

private func checkTime(_ t: Date, record: String, field: String) throws {
    guard Limits.timeRange.contains(t) else {
        throw ValidationError(record: record, field: field, message: "\(t) is outside 1970–2199")
    }
}
