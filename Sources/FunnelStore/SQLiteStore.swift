import Foundation
import FunnelData
import GRDB
import GRDBSQLite

/// The embedded store: one SQLite file in WAL mode through GRDB, with named migrations.
///
/// Every batch is validated and written in one transaction, so a bad record leaves the database
/// as it was. With `synchronous = FULL` (the default) a batch that
/// returned survives a crash or power loss.
public final class SQLiteStore: Store {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String, durable: Bool = true) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durable ? "FULL" : "NORMAL")")
            // Index pages of a growing event table stay cached, and checkpoints come every ~40 MB of
            // WAL instead of every 4 MB, so batched ingest rewrites the same index pages less often
            // (`funnel bench ingest` measures it).
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    /// A private in-memory database, for tests and throwaway runs.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue())
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Schema versions, applied in order and never edited once released.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-users-items-events-artifacts") { db in
            try db.execute(sql: """
                CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE items (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, hidden INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    user_id TEXT NOT NULL, item_id TEXT NOT NULL, type TEXT NOT NULL, ts REAL NOT NULL,
                    watched REAL, duration REAL, value REAL, device TEXT, city TEXT, hour INTEGER);
                CREATE INDEX events_by_user ON events (user_id, ts);
                CREATE INDEX events_by_time ON events (ts);
                CREATE TABLE artifacts (
                    name TEXT NOT NULL, version TEXT NOT NULL, created_at REAL NOT NULL, seq INTEGER NOT NULL,
                    manifest BLOB NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (name, version));
                """)
        }
        migrator.registerMigration("v2-user-state") { db in
            try db.execute(sql: """
                CREATE TABLE user_state (kind TEXT NOT NULL, user_id TEXT NOT NULL, data BLOB NOT NULL, updated_at REAL NOT NULL,
                                         PRIMARY KEY (kind, user_id)) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v3-event-experiments") { db in
            try db.execute(sql: "ALTER TABLE events ADD COLUMN experiments TEXT")
        }
        return migrator
    }

    /// SQLite's full integrity check: an empty list when the file is sound, else what is wrong.
    public func integrityCheck() async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
        }
    }

    // MARK: Users and items

    public func upsertUsers(_ users: [User]) async throws {
        try StoreLimits.checkBatch(users.count)
        try await writer.write { try Self.insert(users, into: $0) }
    }

    public func users(_ ids: [String]) async throws -> [User] {
        try await fetch(table: "users", ids: ids)
    }

    public func upsertItems(_ items: [Item]) async throws {
        try StoreLimits.checkBatch(items.count)
        try await writer.write { try Self.insert(items, into: $0) }
    }

    public func items(_ ids: [String]) async throws -> [Item] {
        try await fetch(table: "items", ids: ids)
    }

    public func deleteItem(_ id: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func itemPage(after cursor: String?, limit: Int) async throws -> [Item] {
        try await page(table: "items", after: cursor, limit: limit)
    }

    public func userPage(after cursor: String?, limit: Int) async throws -> [User] {
        try await page(table: "users", after: cursor, limit: limit)
    }

    private func page<T: Decodable>(table: String, after cursor: String?, limit: Int) async throws -> [T] {
        let rows = try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM \(table) WHERE id > ? ORDER BY id LIMIT ?", arguments: [cursor ?? "", limit])
        }
        return try rows.map { try StoreCoding.decode(T.self, from: $0) }
    }

    private func fetch<T: Decodable>(table: String, ids: [String]) async throws -> [T] {
        let found: [String: String] = try await writer.read { db in
            var found: [String: String] = [:]
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min(ids.count, $0 + 500)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT id, data FROM \(table) WHERE id IN (\(marks))", arguments: StatementArguments(chunk)) {
                    found[row["id"]] = row["data"]
                }
            }
            return found
        }
        return try ids.compactMap { id in try found[id].map { try StoreCoding.decode(T.self, from: $0) } }
    }

    // MARK: Events

    public func appendEvents(_ events: [Event]) async throws {
        try StoreLimits.checkBatch(events.count)
        try await writer.write { try Self.insert(events, into: $0) }
    }

    public func events(in range: Range<Date>, limit: Int) async throws -> [Event] {
        try await queryEvents("WHERE ts >= ? AND ts < ? ORDER BY ts, seq LIMIT ?",
                              [range.lowerBound.timeIntervalSince1970, range.upperBound.timeIntervalSince1970, limit])
    }

    public func events(user: String, limit: Int) async throws -> [Event] {
        try await queryEvents("WHERE user_id = ? ORDER BY ts DESC, seq DESC LIMIT ?", [user, limit])
    }

    public func lastActions(user: String, types: Set<EventType>, limit n: Int) async throws -> [Event] {
        guard !types.isEmpty else { return try await events(user: user, limit: n) }
        let names = types.map(\.rawValue).sorted()
        let marks = Array(repeating: "?", count: names.count).joined(separator: ",")
        return try await queryEvents("WHERE user_id = ? AND type IN (\(marks)) ORDER BY ts DESC, seq DESC LIMIT ?",
                                     [user] + names.map { $0 as (any DatabaseValueConvertible)? } + [n])
    }

    public func eventPage(after cursor: Int64, limit: Int) async throws -> EventPage {
        let rows = try await queryEventRows("WHERE seq > ? ORDER BY seq LIMIT ?", [cursor, limit])
        return EventPage(events: rows.map(\.event), cursor: rows.last?.seq ?? cursor)
    }

    private func queryEvents(_ clause: String, _ arguments: [(any DatabaseValueConvertible)?]) async throws -> [Event] {
        try await queryEventRows(clause, arguments).map(\.event)
    }

    private func queryEventRows(_ clause: String, _ arguments: [(any DatabaseValueConvertible)?]) async throws -> [(seq: Int64, event: Event)] {
        let arguments = StatementArguments(arguments)
        // Columns by position from a cursor: GRDB looks a column up by name afresh for every row
        // (lowercasing it), which took a tenth of a large pipeline build.
        let sql = "SELECT seq, user_id, item_id, type, ts, watched, duration, value, device, city, hour, experiments FROM events \(clause)"
        return try await writer.read { db in
            var events: [(seq: Int64, event: Event)] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                guard let type = EventType(rawValue: row[3]) else { throw StoreError("stored event has unknown type \(row[3] as String)") }
                events.append((row[0], Event(userID: row[1], itemID: row[2], type: type, timestamp: Date(timeIntervalSince1970: row[4]),
                                             watchedSeconds: row[5], itemDuration: row[6], value: row[7],
                                             context: EventContext(device: row[8], city: row[9], hour: row[10], experiments: row[11]))))
            }
            return events
        }
    }

    // MARK: Writing inside a transaction (a throw rolls the whole transaction back)

    static func insert(_ users: [User], into db: Database) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO users (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data")
        for user in users {
            try user.validate()
            try statement.execute(arguments: [user.id, try StoreCoding.json(user)])
        }
    }

    static func insert(_ items: [Item], into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO items (id, data, hidden) VALUES (?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET data = excluded.data, hidden = excluded.hidden
            """)
        for item in items {
            try item.validate()
            try statement.execute(arguments: [item.id, try StoreCoding.json(item), item.isHidden])
        }
    }

    static func insert(_ events: [Event], into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO events (user_id, item_id, type, ts, watched, duration, value, device, city, hour, experiments)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // Binding through the C API: GRDB's argument arrays cost more than SQLite's insert itself.
        let handle = statement.sqliteStatement
        for e in events {
            try e.validate()
            bind(handle, 1, e.userID)
            bind(handle, 2, e.itemID)
            bind(handle, 3, e.type.rawValue)
            sqlite3_bind_double(handle, 4, e.timestamp.timeIntervalSince1970)
            bind(handle, 5, e.watchedSeconds)
            bind(handle, 6, e.itemDuration)
            bind(handle, 7, e.value)
            bind(handle, 8, e.context.device)
            bind(handle, 9, e.context.city)
            if let hour = e.context.hour { sqlite3_bind_int64(handle, 10, Int64(hour)) } else { sqlite3_bind_null(handle, 10) }
            bind(handle, 11, e.context.experiments)
            let code = sqlite3_step(handle)
            sqlite3_reset(handle)
            guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage) }
        }
    }

    public func writeAll(_ source: any RecordBatchSource) async throws {
        nonisolated(unsafe) let source = source
        try await writer.write { db in
            while let batch = try source.nextBatch() {
                try Self.insert(batch.users, into: db)
                try Self.insert(batch.items, into: db)
                try Self.insert(batch.events, into: db)
            }
        }
    }

    // MARK: User state

    public func saveUserState(kind: String, user: String, data: Data) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO user_state (kind, user_id, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(kind, user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """, arguments: [kind, user, data, Date().timeIntervalSince1970])
        }
    }

    /// Read in place on the caller's thread: a point read from the WAL snapshot takes
    /// microseconds, less than the hop to a reader queue and back that an async read costs, and
    /// feeds read one per user.
    public func userState(kind: String, user: String) async throws -> Data? {
        try readInPlace { db in try Self.userState(kind: kind, user: user, in: db) }
    }

    /// GRDB's blocking read (from a synchronous function, so the async overload is not chosen).
    private func readInPlace<T>(_ body: (Database) throws -> T) throws -> T { try writer.read(body) }

    private static func userState(kind: String, user: String, in db: Database) throws -> Data? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM user_state WHERE kind = ? AND user_id = ?"), arguments: [kind, user])
    }

    public func mergeUserStates(kind: String, users: [String], merge: @escaping @Sendable (String, Data?) -> Data) async throws {
        guard !users.isEmpty else { return }
        try await writer.write { db in
            let now = Date().timeIntervalSince1970
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO user_state (kind, user_id, data, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(kind, user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
                """)
            for user in users {
                let merged = merge(user, try Self.userState(kind: kind, user: user, in: db))
                try upsert.execute(arguments: [kind, user, merged, now])
            }
        }
    }

    public func deleteUserState(kind: String, user: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM user_state WHERE kind = ? AND user_id = ?", arguments: [kind, user])
            return db.changesCount > 0
        }
    }

    // MARK: Artifacts

    public func saveArtifact(_ a: StoredArtifact) async throws {
        try await writer.write { db in
            let next = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM artifacts") ?? 1
            try db.execute(sql: """
                INSERT INTO artifacts (name, version, created_at, seq, manifest, blob) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name, version) DO UPDATE SET created_at = excluded.created_at, seq = excluded.seq,
                    manifest = excluded.manifest, blob = excluded.blob
                """, arguments: [a.name, a.version, a.createdAt.timeIntervalSince1970, next, a.manifest, a.blob])
        }
    }

    public func artifact(name: String, version: String?) async throws -> StoredArtifact? {
        try await writer.read { db in
            let row = if let version {
                try Row.fetchOne(db, sql: "SELECT * FROM artifacts WHERE name = ? AND version = ?", arguments: [name, version])
            } else {
                try Row.fetchOne(db, sql: "SELECT * FROM artifacts WHERE name = ? ORDER BY seq DESC LIMIT 1", arguments: [name])
            }
            return row.map { StoredArtifact(name: $0["name"], version: $0["version"], createdAt: Date(timeIntervalSince1970: $0["created_at"]),
                                            manifest: $0["manifest"], blob: $0["blob"]) }
        }
    }

    public func artifactVersions(name: String) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT version FROM artifacts WHERE name = ? ORDER BY seq", arguments: [name])
        }
    }
}

/// SQLite copies bound text and blobs when given this destructor.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

private func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
    guard var text else { sqlite3_bind_null(statement, index); return }
    _ = text.withUTF8 { sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), transient) }
}

private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Double?) {
    if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
}
