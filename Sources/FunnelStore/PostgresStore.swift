import Foundation
import FunnelData
import Logging
import NIOCore
import PostgresNIO

/// The server store: PostgreSQL through postgres-nio, for deployments with several serving
/// nodes. Batches are validated first, then written as one statement (users and items with
/// array parameters, `UNNEST`; events with `COPY`), so a batch is either fully stored or not at
/// all; a bulk write runs all its statements in one transaction.
public final class PostgresStore: Store {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    static let logger = Logger(label: "funnel.store.postgres")

    /// Connects to `url` (`postgres://user:password@host:port/database`) and applies migrations.
    public static func connect(_ url: String) async throws -> PostgresStore {
        let store = PostgresStore(configuration: try configuration(from: url))
        try await store.migrate()
        return store
    }

    init(configuration: PostgresClient.Configuration) {
        let client = PostgresClient(configuration: configuration)
        self.client = client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    /// Parses a `postgres://` URL into a client configuration (TLS off: loopback and private networks).
    public static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, let user = components.user else {
            throw StoreError("'\(url)' is not a postgres://user:password@host:port/database URL")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        return PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: user,
                                            password: components.password, database: database, tls: .disable)
    }

    /// Schema versions, applied in order and never edited once released.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1-users-items-events-artifacts", [
            "CREATE TABLE users (id TEXT PRIMARY KEY, data TEXT NOT NULL)",
            "CREATE TABLE items (id TEXT PRIMARY KEY, data TEXT NOT NULL, hidden BOOLEAN NOT NULL DEFAULT FALSE)",
            """
            CREATE TABLE events (seq BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL, type TEXT NOT NULL,
                                 ts DOUBLE PRECISION NOT NULL, watched DOUBLE PRECISION, duration DOUBLE PRECISION,
                                 value DOUBLE PRECISION, device TEXT, city TEXT, hour INTEGER)
            """,
            "CREATE INDEX events_by_user ON events (user_id, ts)",
            "CREATE INDEX events_by_time ON events (ts)",
            """
            CREATE TABLE artifacts (name TEXT NOT NULL, version TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                                    seq BIGINT NOT NULL, manifest BYTEA NOT NULL, blob BYTEA NOT NULL, PRIMARY KEY (name, version))
            """,
        ]),
        ("v2-user-state", [
            """
            CREATE TABLE user_state (kind TEXT NOT NULL, user_id TEXT NOT NULL, data BYTEA NOT NULL,
                                     updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (kind, user_id))
            """,
        ]),
        ("v3-event-experiments", ["ALTER TABLE events ADD COLUMN experiments TEXT"]),
    ]

    /// Runs one SQL statement outside a transaction (e.g. `CREATE DATABASE`); for administration.
    public func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
    }

    func migrate() async throws {
        try await client.query("CREATE TABLE IF NOT EXISTS funnel_migrations (name TEXT PRIMARY KEY)", logger: Self.logger)
        for migration in Self.migrations {
            try await client.withTransaction(logger: Self.logger) { connection in
                // Serialise concurrent migrators, then skip what is already applied.
                try await connection.query("LOCK TABLE funnel_migrations", logger: Self.logger)
                let applied = try await connection.query("SELECT 1 FROM funnel_migrations WHERE name = \(migration.name)", logger: Self.logger)
                var isApplied = false
                for try await _ in applied { isApplied = true }
                guard !isApplied else { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                }
                try await connection.query("INSERT INTO funnel_migrations (name) VALUES (\(migration.name))", logger: Self.logger)
            }
        }
    }

    // MARK: Users and items

    public func upsertUsers(_ users: [User]) async throws {
        try StoreLimits.checkBatch(users.count)
        try await client.withConnection { try await Self.insert(users, on: $0) }
    }

    public func users(_ ids: [String]) async throws -> [User] {
        try await fetch(try await client.query("SELECT id, data FROM users WHERE id = ANY(\(ids))", logger: Self.logger), ids: ids)
    }

    public func upsertItems(_ items: [Item]) async throws {
        try StoreLimits.checkBatch(items.count)
        try await client.withConnection { try await Self.insert(items, on: $0) }
    }

    public func items(_ ids: [String]) async throws -> [Item] {
        try await fetch(try await client.query("SELECT id, data FROM items WHERE id = ANY(\(ids))", logger: Self.logger), ids: ids)
    }

    public func deleteItem(_ id: String) async throws -> Bool {
        var deleted = false
        for try await _ in try await client.query("DELETE FROM items WHERE id = \(id) RETURNING id", logger: Self.logger) { deleted = true }
        return deleted
    }

    public func itemPage(after cursor: String?, limit: Int) async throws -> [Item] {
        try await page(try await client.query("SELECT data FROM items WHERE id COLLATE \"C\" > \(cursor ?? "") ORDER BY id COLLATE \"C\" LIMIT \(limit)",
                                              logger: Self.logger))
    }

    public func userPage(after cursor: String?, limit: Int) async throws -> [User] {
        try await page(try await client.query("SELECT data FROM users WHERE id COLLATE \"C\" > \(cursor ?? "") ORDER BY id COLLATE \"C\" LIMIT \(limit)",
                                              logger: Self.logger))
    }

    private func page<T: Decodable>(_ rows: PostgresRowSequence) async throws -> [T] {
        var found: [T] = []
        for try await data in rows.decode(String.self) { found.append(try StoreCoding.decode(T.self, from: data)) }
        return found
    }

    private func fetch<T: Decodable>(_ rows: PostgresRowSequence, ids: [String]) async throws -> [T] {
        var found: [String: String] = [:]
        for try await (id, data) in rows.decode((String, String).self) { found[id] = data }
        return try ids.compactMap { id in try found[id].map { try StoreCoding.decode(T.self, from: $0) } }
    }

    // MARK: Events

    static let eventColumns = ["user_id", "item_id", "type", "ts", "watched", "duration", "value", "device", "city", "hour", "experiments"]

    public func appendEvents(_ events: [Event]) async throws {
        try StoreLimits.checkBatch(events.count)
        try await client.withConnection { try await Self.insert(events, on: $0) }
    }

    public func events(in range: Range<Date>, limit: Int) async throws -> [Event] {
        let (from, to) = (range.lowerBound.timeIntervalSince1970, range.upperBound.timeIntervalSince1970)
        return try await decodeEvents(try await client.query("""
            SELECT \(unescaped: Self.eventSelect) FROM events WHERE ts >= \(from) AND ts < \(to) ORDER BY ts, seq LIMIT \(limit)
            """, logger: Self.logger))
    }

    public func events(user: String, limit: Int) async throws -> [Event] {
        try await decodeEvents(try await client.query("""
            SELECT \(unescaped: Self.eventSelect) FROM events WHERE user_id = \(user) ORDER BY ts DESC, seq DESC LIMIT \(limit)
            """, logger: Self.logger))
    }

    public func lastActions(user: String, types: Set<EventType>, limit n: Int) async throws -> [Event] {
        guard !types.isEmpty else { return try await events(user: user, limit: n) }
        let names = types.map(\.rawValue)
        return try await decodeEvents(try await client.query("""
            SELECT \(unescaped: Self.eventSelect) FROM events WHERE user_id = \(user) AND type = ANY(\(names))
            ORDER BY ts DESC, seq DESC LIMIT \(n)
            """, logger: Self.logger))
    }

    static let eventSelect = eventColumns.joined(separator: ", ")

    public func eventPage(after cursor: Int64, limit: Int) async throws -> EventPage {
        let rows = try await client.query("""
            SELECT seq, \(unescaped: Self.eventSelect) FROM events WHERE seq > \(cursor) ORDER BY seq LIMIT \(limit)
            """, logger: Self.logger)
        var page = EventPage(events: [], cursor: cursor)
        let columns = (Int64, String, String, String, Double, Double?, Double?, Double?, String?, String?, Int?, String?).self
        for try await (seq, user, item, type, ts, watched, duration, value, device, city, hour, experiments) in rows.decode(columns) {
            page.events.append(try Self.event(user, item, type, ts, watched, duration, value, device, city, hour, experiments))
            page.cursor = seq
        }
        return page
    }

    private func decodeEvents(_ rows: PostgresRowSequence) async throws -> [Event] {
        var events: [Event] = []
        let columns = (String, String, String, Double, Double?, Double?, Double?, String?, String?, Int?, String?).self
        for try await (user, item, type, ts, watched, duration, value, device, city, hour, experiments) in rows.decode(columns) {
            events.append(try Self.event(user, item, type, ts, watched, duration, value, device, city, hour, experiments))
        }
        return events
    }

    private static func event(_ user: String, _ item: String, _ type: String, _ ts: Double, _ watched: Double?, _ duration: Double?,
                              _ value: Double?, _ device: String?, _ city: String?, _ hour: Int?, _ experiments: String?) throws -> Event {
        guard let type = EventType(rawValue: type) else { throw StoreError("stored event has unknown type \(type)") }
        return Event(userID: user, itemID: item, type: type, timestamp: Date(timeIntervalSince1970: ts), watchedSeconds: watched,
                     itemDuration: duration, value: value,
                     context: EventContext(device: device, city: city, hour: hour, experiments: experiments))
    }

    /// Runs `body` in a transaction; when it throws and the rollback succeeds, its own error is
    /// rethrown (so callers see the same errors as from SQLite), else the driver's full report.
    func transaction(_ body: nonisolated(nonsending) (PostgresConnection) async throws -> Void) async throws {
        do {
            try await client.withTransaction(logger: Self.logger) { try await body($0) }
        } catch let error as PostgresTransactionError {
            if let cause = error.closureError, error.rollbackError == nil { throw cause }
            throw error
        }
    }

    // MARK: Writing on one connection (each statement all or nothing)

    static func insert(_ users: [User], on connection: PostgresConnection) async throws {
        guard !users.isEmpty else { return }
        for user in users { try user.validate() }
        let ids = users.map(\.id), data = try users.map { try StoreCoding.json($0) }
        try await connection.query("""
            INSERT INTO users (id, data) SELECT * FROM UNNEST(\(ids)::text[], \(data)::text[])
            ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data
            """, logger: logger)
    }

    static func insert(_ items: [Item], on connection: PostgresConnection) async throws {
        guard !items.isEmpty else { return }
        for item in items { try item.validate() }
        let ids = items.map(\.id), data = try items.map { try StoreCoding.json($0) }, hidden = items.map(\.isHidden)
        try await connection.query("""
            INSERT INTO items (id, data, hidden) SELECT * FROM UNNEST(\(ids)::text[], \(data)::text[], \(hidden)::boolean[])
            ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, hidden = EXCLUDED.hidden
            """, logger: logger)
    }

    /// Streams events with `COPY … FROM STDIN`, one statement, sparing the server the array
    /// parameters an `UNNEST` insert makes it unpack.
    static func insert(_ events: [Event], on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        for event in events { try event.validate() }
        try await connection.copyFrom(table: "events", columns: eventColumns, logger: logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 16)
            for event in events {
                CopyText.append(event, to: &buffer)
                if buffer.readableBytes >= 1 << 16 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    public func writeAll(_ source: any RecordBatchSource) async throws {
        nonisolated(unsafe) let source = source
        try await transaction { connection in
            while let batch = try source.nextBatch() {
                try await Self.insert(batch.users, on: connection)
                try await Self.insert(batch.items, on: connection)
                try await Self.insert(batch.events, on: connection)
            }
        }
    }

    // MARK: User state

    public func saveUserState(kind: String, user: String, data: Data) async throws {
        let blob = ByteBuffer(bytes: data), now = Date().timeIntervalSince1970
        try await client.query("""
            INSERT INTO user_state (kind, user_id, data, updated_at) VALUES (\(kind), \(user), \(blob), \(now))
            ON CONFLICT (kind, user_id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
            """, logger: Self.logger)
    }

    public func userState(kind: String, user: String) async throws -> Data? {
        let rows = try await client.query("SELECT data FROM user_state WHERE kind = \(kind) AND user_id = \(user)", logger: Self.logger)
        for try await data in rows.decode(ByteBuffer.self) { return Data(data.readableBytesView) }
        return nil
    }

    /// Mergers of one kind queue on a transaction-scoped advisory lock: a row lock cannot hold
    /// back two servers inserting the same new user's first row.
    public func mergeUserStates(kind: String, users: [String], merge: @escaping @Sendable (String, Data?) -> Data) async throws {
        guard !users.isEmpty else { return }
        let lockName = "funnel.user_state." + kind, now = Date().timeIntervalSince1970
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: Self.logger)
            var stored: [String: Data] = [:]
            let rows = try await connection.query("SELECT user_id, data FROM user_state WHERE kind = \(kind) AND user_id = ANY(\(users))",
                                                  logger: Self.logger)
            for try await (user, data) in rows.decode((String, ByteBuffer).self) { stored[user] = Data(data.readableBytesView) }
            let blobs = users.map { ByteBuffer(bytes: merge($0, stored[$0])) }
            try await connection.query("""
                INSERT INTO user_state (kind, user_id, data, updated_at)
                SELECT \(kind), u, d, \(now) FROM UNNEST(\(users)::text[], \(blobs)::bytea[]) AS t(u, d)
                ON CONFLICT (kind, user_id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
                """, logger: Self.logger)
        }
    }

    public func deleteUserState(kind: String, user: String) async throws -> Bool {
        var deleted = false
        for try await _ in try await client.query("DELETE FROM user_state WHERE kind = \(kind) AND user_id = \(user) RETURNING 1",
                                                  logger: Self.logger) { deleted = true }
        return deleted
    }

    // MARK: Artifacts

    public func saveArtifact(_ a: StoredArtifact) async throws {
        let manifest = ByteBuffer(bytes: a.manifest), blob = ByteBuffer(bytes: a.blob), created = a.createdAt.timeIntervalSince1970
        try await transaction { connection in
            try await connection.query("LOCK TABLE artifacts IN EXCLUSIVE MODE", logger: Self.logger)
            try await connection.query("""
                INSERT INTO artifacts (name, version, created_at, seq, manifest, blob)
                VALUES (\(a.name), \(a.version), \(created), (SELECT COALESCE(MAX(seq), 0) + 1 FROM artifacts), \(manifest), \(blob))
                ON CONFLICT (name, version) DO UPDATE SET created_at = EXCLUDED.created_at, seq = EXCLUDED.seq,
                    manifest = EXCLUDED.manifest, blob = EXCLUDED.blob
                """, logger: Self.logger)
        }
    }

    public func artifact(name: String, version: String?) async throws -> StoredArtifact? {
        let rows = if let version {
            try await client.query("""
                SELECT name, version, created_at, manifest, blob FROM artifacts WHERE name = \(name) AND version = \(version)
                """, logger: Self.logger)
        } else {
            try await client.query("""
                SELECT name, version, created_at, manifest, blob FROM artifacts WHERE name = \(name) ORDER BY seq DESC LIMIT 1
                """, logger: Self.logger)
        }
        for try await (name, version, created, manifest, blob) in rows.decode((String, String, Double, ByteBuffer, ByteBuffer).self) {
            return StoredArtifact(name: name, version: version, createdAt: Date(timeIntervalSince1970: created),
                                  manifest: Data(manifest.readableBytesView), blob: Data(blob.readableBytesView))
        }
        return nil
    }

    public func artifactVersions(name: String) async throws -> [String] {
        var versions: [String] = []
        for try await version in try await client.query("SELECT version FROM artifacts WHERE name = \(name) ORDER BY seq", logger: Self.logger)
            .decode(String.self) { versions.append(version) }
        return versions
    }

}
