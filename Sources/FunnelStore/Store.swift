import Foundation
import FunnelData

/// Users: batch upsert and lookup.
public protocol UserStore: Sendable {
    /// Validates every user, then writes them all in one transaction, or none.
    func upsertUsers(_ users: [User]) async throws
    /// The users with these ids that exist, in the order asked.
    func users(_ ids: [String]) async throws -> [User]
    /// Up to `limit` users in id order after the id `cursor` (nil for the first page): how
    /// offline jobs read every profile.
    func userPage(after cursor: String?, limit: Int) async throws -> [User]
}

/// Items: batch upsert, lookup and deletion (hiding is an upsert, in the extension below).
public protocol ItemStore: Sendable {
    func upsertItems(_ items: [Item]) async throws
    func items(_ ids: [String]) async throws -> [Item]
    /// Removes an item; returns false when it did not exist.
    func deleteItem(_ id: String) async throws -> Bool
    /// Up to `limit` items in id order after the id `cursor` (nil for the first page): how
    /// offline jobs read the whole catalogue.
    func itemPage(after cursor: String?, limit: Int) async throws -> [Item]
}

/// Events: append-only batches, scans by time and by user.
public protocol EventStore: Sendable {
    /// Validates every event, then appends them all in one transaction, or none. Durable once it returns.
    func appendEvents(_ events: [Event]) async throws
    /// Events with `range.lowerBound <= timestamp < range.upperBound`, in time order.
    func events(in range: Range<Date>, limit: Int) async throws -> [Event]
    /// A user's events, newest first.
    func events(user: String, limit: Int) async throws -> [Event]
    /// A user's last `n` events of the given types (all types when empty), newest first.
    func lastActions(user: String, types: Set<EventType>, limit n: Int) async throws -> [Event]
    /// Up to `limit` events in the order they were stored, after the position `cursor` (0 for the
    /// start), and the cursor to continue from: how offline jobs read every event in pages. A scan
    /// running while others append may miss events whose transactions commit out of order.
    func eventPage(after cursor: Int64, limit: Int) async throws -> EventPage
}

/// A page of a full event scan.
public struct EventPage: Sendable, Equatable {
    public var events: [Event]
    /// Pass this to `eventPage(after:limit:)` for the next page; the scan is over when `events` is empty.
    public var cursor: Int64

    public init(events: [Event], cursor: Int64) {
        self.events = events
        self.cursor = cursor
    }
}

/// Trained models: a blob and a manifest per (name, version).
public protocol ArtifactStore: Sendable {
    func saveArtifact(_ artifact: StoredArtifact) async throws
    /// The named artifact at `version`, or the most recently saved version when nil.
    func artifact(name: String, version: String?) async throws -> StoredArtifact?
    /// Versions of a named artifact, oldest first.
    func artifactVersions(name: String) async throws -> [String]
}

/// Bulk loading: a whole import in one transaction.
public protocol BulkWriter: Sendable {
    /// Writes every batch `source` yields (users, then items, then events of each) in one
    /// transaction: all of them, or none when the source or a write throws. Memory stays that of
    /// one batch; records are validated as they are written.
    func writeAll(_ source: any RecordBatchSource) async throws
}

/// Small per-user blobs that online components keep across requests and restarts, such as
/// exposure filters; `kind` names the component.
public protocol UserStateStore: Sendable {
    /// Replaces the user's blob of this kind.
    func saveUserState(kind: String, user: String, data: Data) async throws
    func userState(kind: String, user: String) async throws -> Data?
    /// Writes, for each of `users`, `merge(user, stored)` over their stored blob (nil when there
    /// is none), in one transaction that no other merge of this kind interleaves with, also
    /// from another process on the same store. For state that several servers add to, such as
    /// exposure filters, where a plain save would drop what another server wrote in between.
    func mergeUserStates(kind: String, users: [String], merge: @escaping @Sendable (_ user: String, _ stored: Data?) -> Data) async throws
    /// Returns false when there was none.
    func deleteUserState(kind: String, user: String) async throws -> Bool
}

/// Everything a Funnel deployment stores.
public typealias Store = UserStore & ItemStore & EventStore & ArtifactStore & BulkWriter & UserStateStore

public struct StoredArtifact: Sendable, Equatable {
    public var name: String
    public var version: String
    public var createdAt: Date
    public var manifest: Data
    public var blob: Data

    public init(name: String, version: String, createdAt: Date = Date(), manifest: Data, blob: Data) {
        self.name = name
        self.version = version
        self.createdAt = createdAt
        self.manifest = manifest
        self.blob = blob
    }
}

extension ItemStore {
    /// Marks an item hidden (it stays stored); returns false when it does not exist.
    public func hideItem(_ id: String) async throws -> Bool {
        guard var item = try await items([id]).first else { return false }
        item.isHidden = true
        try await upsertItems([item])
        return true
    }
}

/// Limits on a single write.
public enum StoreLimits {
    /// Records per batch call; larger batches are rejected before anything is written.
    public static let maximumBatch = 100_000

    static func checkBatch(_ count: Int) throws {
        guard count <= maximumBatch else {
            throw StoreError("batch of \(count) records exceeds the limit of \(maximumBatch)")
        }
    }
}

/// How records are serialised into the backends' JSON columns.
enum StoreCoding {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = .sortedKeys
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from json: String) throws -> T {
        try decoder.decode(T.self, from: Data(json.utf8))
    }
}

public struct StoreError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
