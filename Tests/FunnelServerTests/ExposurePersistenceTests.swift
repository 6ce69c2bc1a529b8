import Foundation
import FunnelIndex
import FunnelPipeline
import FunnelServer
import FunnelStore
import FunnelTestSupport
import Testing

/// Exposure filters outlive the server and are shared by servers on one store: what a user was
/// shown is not shown again within the window after a kill -9 and restart, nor by another
/// server, over real HTTP.
@Suite struct ExposurePersistenceTests {
    /// The items of one feed.
    static func feed(_ server: TestServer, _ user: String, n: Int = 5) async throws -> [String] {
        let reply = try await server.call("GET", "/v1/feed/\(user)?n=\(n)", key: nil)
        #expect(reply.status == 200, "\(reply.message)")
        return ((reply.json as? [String: Any])?["items"] as? [[String: Any]])?.compactMap { $0["item"] as? String } ?? []
    }

    /// Waits until the store's filter of each user holds every item they were shown.
    static func waitUntilSaved(_ store: any Store, _ shown: [String: [String]]) async throws {
        for _ in 0..<200 {
            var saved = true
            for (user, items) in shown {
                let filter = try await store.userState(kind: LiveState.storedKind, user: user).flatMap { try? ExposureFilter(serialized: $0) }
                saved = saved && filter.map { f in items.allSatisfy { f.contains($0, now: Date()) } } ?? false
            }
            if saved { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the exposure filters were not saved within 10 s")
    }

    static let users = ["u0", "u1", "u4", "u7", "u10"]

    /// Serves two pages to each user, writes what was shown to `shownPath` (JSON), waits until
    /// the store holds it, then dies by SIGKILL with the server running.
    static func serveThenDie(storePath: String, shownPath: String) async throws -> Never {
        try await TestServer.with(store: try SQLiteStore(path: storePath)) { server in
            try await APITests.smallWorld(server)
            var shown: [String: [String]] = [:]
            for user in users { for _ in 0..<2 { shown[user, default: []] += try await feed(server, user) } }
            try JSONEncoder().encode(shown).write(to: URL(fileURLWithPath: shownPath))
            try await waitUntilSaved(server.store, shown)
            kill(getpid(), SIGKILL)
        }
        fatalError("unreachable")
    }

    @Test func killedServerForgetsNothingSaved() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-exposures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storePath = folder.appendingPathComponent("funnel.sqlite").path, shownPath = folder.appendingPathComponent("shown.json").path
        await #expect(processExitsWith: .signal(SIGKILL)) { [storePath = storePath as String, shownPath = shownPath as String] in
            try await ExposurePersistenceTests.serveThenDie(storePath: storePath, shownPath: shownPath)
        }
        let shown = try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: URL(fileURLWithPath: shownPath)))
        #expect(shown.count == Self.users.count && shown.values.allSatisfy { $0.count == 10 })
        try await TestServer.with(store: try SQLiteStore(path: storePath)) { server in
            #expect(try await server.call("POST", "/v1/admin/reload").status == 200)
            for user in Self.users {
                let again = try await Self.feed(server, user)
                #expect(again.count == 5 && Set(again).isDisjoint(with: shown[user]!), "\(user) was shown again after the restart: \(again)")
            }
        }
    }

    /// With `exposureSaveSeconds = 0` nothing is saved, and a restarted server shows the first
    /// page's items again (the control for the test above).
    @Test func savingCanBeTurnedOff() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-exposures-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteStore(path: path)
        var first: [String] = []
        try await TestServer.with(store: store, { $0.exposureSaveSeconds = 0 }) { server in
            try await APITests.smallWorld(server)
            first = try await Self.feed(server, "u1")
            try await Task.sleep(for: .milliseconds(400))
        }
        #expect(try await store.userState(kind: LiveState.storedKind, user: "u1") == nil)
        try await TestServer.with(store: store, { $0.exposureSaveSeconds = 0 }) { server in
            let reload = try await server.call("POST", "/v1/admin/reload")
            #expect(reload.status == 200)
            let again = try await Self.feed(server, "u1")
            #expect(Set(again) == Set(first))
        }
    }

    /// A stored filter that does not decode costs the user nothing but itself: the feed is
    /// served, and the next save replaces the blob with a valid filter.
    @Test func undecodableFilterIsDropped() async throws {
        try await TestServer.with { server in
            try await APITests.smallWorld(server)
            try await server.store.saveUserState(kind: LiveState.storedKind, user: "u2", data: Data("not a filter".utf8))
            let shown = try await Self.feed(server, "u2")
            #expect(shown.count == 5)
            try await Self.waitUntilSaved(server.store, ["u2": shown])
        }
    }

    /// A user's feeds alternate between two servers on one store, each feed after the other
    /// server's save. Returns the items shown more than once.
    static func alternate(_ a: any Store, _ b: any Store, refreshSeconds: Double) async throws -> Set<String> {
        var repeated = Set<String>(), shown = Set<String>()
        try await TestServer.with(store: a, { $0.exposureRefreshSeconds = refreshSeconds }) { first in
            try await APITests.smallWorld(first)
            try await TestServer.with(store: b, { $0.exposureRefreshSeconds = refreshSeconds }) { second in
                #expect(try await second.call("POST", "/v1/admin/reload").status == 200)
                for server in [first, second, first, second] {
                    try await Task.sleep(for: .milliseconds(100))   // past a short refresh
                    let items = try await feed(server, "u3")
                    repeated.formUnion(shown.intersection(items))
                    shown.formUnion(items)
                    try await waitUntilSaved(a, ["u3": Array(shown)])
                }
            }
        }
        return repeated
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
    func twoServersOnOnePostgresStore() async throws {
        let database = try await PostgresTestDatabase.create()
        let repeated = try await Self.alternate(try await PostgresStore.connect(database.url), try await PostgresStore.connect(database.url),
                                                refreshSeconds: 0.05)
        #expect(repeated.isEmpty, "shown again by the other server: \(repeated.sorted())")
        try await database.drop()
    }

    /// `exposureRefreshSeconds` acts: a server that read the user's filter within it does not
    /// read it again, so it misses what the other server showed since (two servers on one
    /// SQLite file here, the same code path).
    @Test func refreshIntervalActs() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-exposures-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let repeated = try await Self.alternate(try SQLiteStore(path: path), try SQLiteStore(path: path), refreshSeconds: 1_000)
        #expect(!repeated.isEmpty, "with a long refresh, a server should have missed the other's exposures")
    }
}
