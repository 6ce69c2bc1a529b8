import Foundation
import FunnelData
import FunnelIndex
import FunnelStore
import FunnelTestSupport
import Testing

/// The behaviour every `Store` backend must have.
enum StoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func run(_ store: some Store) async throws {
        try await usersAndItems(store)
        try await badBatchesChangeNothing(store)
        try await events(store)
        try await valuesAndUnusualText(store)
        try await bulkWrites(store)
        try await userState(store)
        try await artifacts(store)
    }

    /// Per-user blobs, e.g. an exposure filter that must survive a restart.
    static func userState(_ store: some Store) async throws {
        var filter = ExposureFilter()
        for k in 0..<500 { filter.insert("item-\(k)", at: t0) }
        try await store.saveUserState(kind: "exposure", user: "alice", data: filter.serialized)
        try await store.saveUserState(kind: "cache", user: "alice", data: Data([1]))
        let restored = try ExposureFilter(serialized: try #require(try await store.userState(kind: "exposure", user: "alice")))
        #expect(restored == filter && restored.contains("item-42", now: t0))
        try await store.saveUserState(kind: "cache", user: "alice", data: Data([2, 3]))
        #expect(try await store.userState(kind: "cache", user: "alice") == Data([2, 3]))
        #expect(try await store.userState(kind: "exposure", user: "bob") == nil)
        #expect(try await store.deleteUserState(kind: "cache", user: "alice"))
        #expect(try await !store.deleteUserState(kind: "cache", user: "alice"))
        #expect(try await store.userState(kind: "cache", user: "alice") == nil)
        try await mergedUserState(store)
    }

    /// Merges see what is stored, and concurrent mergers (two servers adding to one user's
    /// state) lose nothing of each other's: each adds its bytes to a list, and every byte of
    /// every merger ends up in the stored list.
    static func mergedUserState(_ store: some Store) async throws {
        let append: @Sendable (Data) -> @Sendable (String, Data?) -> Data = { update in { _, stored in (stored ?? Data()) + update } }
        try await store.mergeUserStates(kind: "log", users: [], merge: append(Data([9])))
        try await store.mergeUserStates(kind: "log", users: ["alice", "bob"]) { user, stored in
            #expect(stored == nil)
            return Data(user == "alice" ? [1] : [2])
        }
        try await store.mergeUserStates(kind: "log", users: ["alice"], merge: append(Data([3])))
        #expect(try await store.userState(kind: "log", user: "alice") == Data([1, 3]))
        #expect(try await store.userState(kind: "log", user: "bob") == Data([2]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for merger in 0..<4 {
                group.addTask {
                    for round in 0..<10 {
                        try await store.mergeUserStates(kind: "log", users: ["carol", "alice"]) { user, stored in
                            (stored ?? Data()) + [user == "alice" ? 200 : UInt8(merger * 10 + round)]
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let carol = try #require(try await store.userState(kind: "log", user: "carol"))
        let expected: [UInt8] = (0..<4).flatMap { m in (0..<10).map { UInt8(m * 10 + $0) } }
        #expect(carol.sorted() == expected.sorted())
        #expect(try await store.userState(kind: "log", user: "alice")?.count == 42)
        #expect(try await store.userState(kind: "exposure", user: "carol") == nil)
    }

    /// Yields the given batches, then fails with `failure` if set.
    final class Batches: RecordBatchSource {
        var batches: [RecordBatch]
        let failure: (any Error)?
        init(_ batches: [RecordBatch], failure: (any Error)? = nil) {
            self.batches = batches
            self.failure = failure
        }
        func nextBatch() throws -> RecordBatch? {
            if batches.isEmpty, let failure { throw failure }
            return batches.isEmpty ? nil : batches.removeFirst()
        }
    }

    /// A bulk write is one transaction: a failure anywhere, in the source or in a record, leaves nothing.
    static func bulkWrites(_ store: some Store) async throws {
        let events = (0..<30).map { Event(userID: "bulk-user", itemID: "i\($0)", type: .click, timestamp: t0.addingTimeInterval(Double($0))) }
        let batches = [RecordBatch(users: [User(id: "bulk-user")], items: [Item(id: "bulk-item")], events: Array(events[..<10])),
                       RecordBatch(events: Array(events[10...]))]
        let alice = try await store.users(["alice"])
        var overwrite = batches
        overwrite[0].users.append(User(id: "alice", tags: ["overwritten"]))
        await #expect(throws: DataError.self) {
            try await store.writeAll(Batches(overwrite, failure: DataError(file: "f.csv", line: 3, "bad row")))
        }
        #expect(try await store.users(["alice"]) == alice, "a failed import changes nothing already stored")
        var invalid = batches
        invalid[1].events.append(Event(userID: "bulk-user", itemID: "", type: .click, timestamp: t0))
        await #expect(throws: ValidationError.self) { try await store.writeAll(Batches(invalid)) }
        #expect(try await store.users(["bulk-user"]).isEmpty)
        #expect(try await store.items(["bulk-item"]).isEmpty)
        #expect(try await store.events(user: "bulk-user", limit: 100).isEmpty)

        try await store.writeAll(Batches(batches))
        #expect(try await store.users(["bulk-user"]).count == 1)
        #expect(try await store.items(["bulk-item"]).count == 1)
        #expect(try await store.events(user: "bulk-user", limit: 100) == events.reversed())
    }

    static func usersAndItems(_ store: some Store) async throws {
        let alice = User(id: "alice", categorical: ["gender": "f"], numeric: ["age": 31], tags: ["runner"],
                         home: GeoPoint(latitude: 48.85, longitude: 2.35), createdAt: t0)
        try await store.upsertUsers([alice, User(id: "bob")])
        #expect(try await store.users(["bob", "nobody", "alice"]) == [User(id: "bob"), alice])
        var older = alice
        older.tags = ["swimmer"]
        try await store.upsertUsers([older])
        #expect(try await store.users(["alice"]).first?.tags == ["swimmer"])

        let item = Item(id: "p1", categories: ["beauty/makeup"], tags: ["red"], authorID: "author-1", createdAt: t0,
                        expiresAt: t0.addingTimeInterval(86_400), numeric: ["price": 9.5], text: "lipstick", contentVector: [0.5, -1])
        try await store.upsertItems([item, Item(id: "p2")])
        #expect(try await store.items(["p1"]) == [item])
        #expect(try await store.hideItem("p1"))
        #expect(try await store.items(["p1"]).first?.isHidden == true)
        #expect(try await !store.hideItem("missing"))
        #expect(try await store.deleteItem("p2"))
        #expect(try await !store.deleteItem("p2"))
        #expect(try await store.items(["p2"]).isEmpty)

        // The catalogue in pages, in byte order of the ids whatever the database's collation.
        let ids = ["B", "a", "a-1", "a_2", "b", "é", "p1", "z"].filter { $0 != "p1" }
        try await store.upsertItems(ids.map { Item(id: $0) })
        var paged: [String] = [], cursor: String?
        while true {
            let page = try await store.itemPage(after: cursor, limit: 3)
            if page.isEmpty { break }
            #expect(page.count <= 3)
            paged += page.map(\.id)
            cursor = page.last!.id
        }
        #expect(paged == (ids + ["p1"]).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })

        // Every profile in pages, the same way.
        let known = try await Set(store.userPage(after: nil, limit: 1_000).map(\.id))
        try await store.upsertUsers(ids.map { User(id: "user-" + $0, categorical: ["plan": $0]) })
        var users: [User] = []
        cursor = nil
        while true {
            let page = try await store.userPage(after: cursor, limit: 3)
            if page.isEmpty { break }
            #expect(page.count <= 3)
            users += page
            cursor = page.last!.id
        }
        let added = users.filter { !known.contains($0.id) }
        #expect(added.map(\.id) == ids.map { "user-" + $0 }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(added.allSatisfy { $0.categorical["plan"].map { "user-" + $0 } == $0.id })
    }

    static func badBatchesChangeNothing(_ store: some Store) async throws {
        let before = try await store.users(["carol", "alice"])
        await #expect(throws: ValidationError.self) {
            try await store.upsertUsers([User(id: "carol"), User(id: "alice", numeric: ["age": .nan])])
        }
        #expect(try await store.users(["carol", "alice"]) == before)
        await #expect(throws: ValidationError.self) {
            try await store.appendEvents([Event(userID: "u", itemID: "i", type: .click, timestamp: t0),
                                          Event(userID: "", itemID: "i", type: .click, timestamp: t0)])
        }
        #expect(try await store.events(user: "u", limit: 10).isEmpty)
        await #expect(throws: StoreError.self) {
            try await store.upsertItems((0...StoreLimits.maximumBatch).map { Item(id: "bulk-\($0)") })
        }
        #expect(try await store.items(["bulk-0"]).isEmpty)
    }

    static func events(_ store: some Store) async throws {
        var batch: [Event] = []
        for k in 0..<20 {
            let type: EventType = k % 4 == 0 ? .like : (k % 4 == 1 ? .view : .click)
            batch.append(Event(userID: k % 2 == 0 ? "alice" : "bob", itemID: "item-\(k)", type: type,
                               timestamp: t0.addingTimeInterval(Double(k)), watchedSeconds: type == .view ? Double(k) : nil,
                               itemDuration: type == .view ? 60 : nil, context: EventContext(device: "ios", city: "paris", hour: k % 24,
                                                                                      experiments: k % 3 == 0 ? "rank=control,rerank=dpp" : nil)))
        }
        try await store.appendEvents(Array(batch[10...]))
        try await store.appendEvents(Array(batch[..<10]))
        let window = try await store.events(in: t0.addingTimeInterval(5)..<t0.addingTimeInterval(12), limit: 100)
        #expect(window == Array(batch[5..<12]), "time scans are half-open and in time order")
        #expect(try await store.events(in: t0..<t0.addingTimeInterval(100), limit: 3) == Array(batch[0..<3]))
        let alice = try await store.events(user: "alice", limit: 100)
        #expect(alice == batch.filter { $0.userID == "alice" }.reversed())
        let likes = try await store.lastActions(user: "alice", types: [.like], limit: 2)
        #expect(likes.map(\.itemID) == ["item-16", "item-12"])
        let views = try await store.lastActions(user: "bob", types: [.view, .like], limit: 10)
        #expect(views.allSatisfy { $0.type == .view } && views.first?.watchedSeconds == 17 && views.count == 5)
        // A full scan in pages returns every event once, in the order stored.
        var scanned: [Event] = [], cursor: Int64 = 0
        while true {
            let page = try await store.eventPage(after: cursor, limit: 7)
            if page.events.isEmpty { break }
            #expect(page.cursor > cursor && page.events.count <= 7)
            scanned += page.events
            cursor = page.cursor
        }
        #expect(scanned == Array(batch[10...]) + Array(batch[..<10]))
    }

    /// Ratings carry values; ids and context may hold any text, including the characters that
    /// delimit SQL strings and PostgreSQL's COPY format.
    static func valuesAndUnusualText(_ store: some Store) async throws {
        let user = "d'Artagnan\t\\N\n\"é🙂"
        let stored = [
            Event(userID: user, itemID: "\\N", type: .rating, timestamp: t0, value: 4.5, context: EventContext(device: "a\\b\r", city: "", experiments: "x=\t\\N")),
            Event(userID: user, itemID: "item\t2", type: .purchase, timestamp: t0.addingTimeInterval(1), value: 0.1 + 0.2),
        ]
        try await store.appendEvents(stored)
        #expect(try await store.events(user: user, limit: 10) == stored.reversed())
        await #expect(throws: ValidationError.self) {
            try await store.appendEvents([Event(userID: "u", itemID: "i", type: .rating, timestamp: t0)])
        }
    }

    static func artifacts(_ store: some Store) async throws {
        let v1 = StoredArtifact(name: "dcn-v2", version: "1", createdAt: t0, manifest: Data("{\"v\":1}".utf8), blob: Data([1, 2, 3]))
        let v2 = StoredArtifact(name: "dcn-v2", version: "2", createdAt: t0, manifest: Data("{\"v\":2}".utf8), blob: Data(count: 1 << 20))
        try await store.saveArtifact(v1)
        try await store.saveArtifact(v2)
        #expect(try await store.artifact(name: "dcn-v2", version: nil) == v2)
        #expect(try await store.artifact(name: "dcn-v2", version: "1") == v1)
        #expect(try await store.artifact(name: "other", version: nil) == nil)
        #expect(try await store.artifactVersions(name: "dcn-v2") == ["1", "2"])
    }
}

@Suite struct StoreConformanceTests {
    /// Runs the contract against a fresh database on the test server, dropped afterwards.
    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
    func postgres() async throws {
        let database = try await PostgresTestDatabase.create()
        try await StoreContract.run(try await PostgresStore.connect(database.url))
        // Migrations are idempotent: connecting again applies nothing twice.
        let again = try await PostgresStore.connect(database.url)
        #expect(try await again.artifactVersions(name: "dcn-v2") == ["1", "2"])
        try await database.drop()
    }

    @Test func sqliteInMemory() async throws {
        try await StoreContract.run(try SQLiteStore.inMemory())
    }

    @Test func sqliteFileSurvivesReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            let store = try SQLiteStore(path: path)
            try await StoreContract.run(store)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.users(["alice"]).count == 1)
        #expect(try await reopened.events(user: "alice", limit: 100).count == 10)
        #expect(try await reopened.artifactVersions(name: "dcn-v2") == ["1", "2"])
    }
}
