import Foundation
import FunnelData
import FunnelStore
import FunnelTestSupport
import Testing

/// A writer killed with SIGKILL in the middle of a long batched ingest loses nothing it was told
/// was stored, leaves no partial batch behind, and the database opens cleanly afterwards.
@Suite struct DurabilityTests {
    static let batchSize = 5_000

    /// Batch `k`: `batchSize` events of user `batch-k`, so each batch can be counted on its own.
    static func batch(_ k: Int) -> [Event] {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        return (0..<batchSize).map { n in
            Event(userID: "batch-\(k)", itemID: "item-\((k * 7919 + n) % 20_011)", type: n % 9 == 0 ? .click : .exposure,
                  timestamp: t0.addingTimeInterval(Double(k * batchSize + n)), context: EventContext(device: "android", hour: n % 24))
        }
    }

    /// Kills per test: each round reopens what the last one left and writes on, so recovery is
    /// exercised repeatedly and a kill lands inside a write, a commit or a checkpoint.
    static let rounds = 3

    /// Appends batches `first…` until killed; after each acknowledged batch writes its number to
    /// `ackPath`. Once two batches are acknowledged (however slow the machine), a timer thread
    /// sends SIGKILL to the process after `delay`, wherever the writer is.
    static func ingestUntilKilled(_ store: some EventStore, first: Int, ackPath: String, delay: Double) async throws -> Never {
        _ = FileManager.default.createFile(atPath: ackPath, contents: nil)
        let acks = try FileHandle(forWritingTo: URL(fileURLWithPath: ackPath))
        for k in first... {
            try await store.appendEvents(batch(k))
            acks.write(Data("\(k)\n".utf8))
            if k == first + 1 {
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: delay)
                    kill(getpid(), SIGKILL)
                }
            }
        }
        fatalError("unreachable")
    }

    /// Checks the batches of one round: acknowledged ones complete, the rest complete or absent.
    static func verify(_ store: some EventStore, first: Int, ackPath: String) async throws {
        let acknowledged = try String(contentsOfFile: ackPath, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(acknowledged.count >= 2, "the writer was killed before it acknowledged two batches; nothing was tested")
        let last = acknowledged.max() ?? first - 1
        for k in first...(last + 2) {
            let stored = try await store.events(user: "batch-\(k)", limit: batchSize + 1).count
            if k <= last {
                #expect(stored == batchSize, "acknowledged batch \(k) has \(stored) of \(batchSize) events")
            } else {
                #expect(stored == 0 || stored == batchSize, "batch \(k) is partial: \(stored) of \(batchSize) events")
            }
        }
    }

    static func killDelay() -> Double { Double.random(in: 0...0.8) }

    /// Batch numbers of a round start here, so rounds never share a user.
    static func firstBatch(round: Int) -> Int { round * 100_000 }

    @Test func sqliteWriterKilledMidIngest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("events.sqlite").path
        for round in 0..<Self.rounds {
            let acks = directory.appendingPathComponent("acks-\(round)").path, first = Self.firstBatch(round: round), delay = Self.killDelay()
            await #expect(processExitsWith: .signal(SIGKILL)) { [database = database as String, acks = acks as String, first = first as Int, delay = delay as Double] in
                try await DurabilityTests.ingestUntilKilled(try SQLiteStore(path: database), first: first, ackPath: acks, delay: delay)
            }
        }
        let reopened = try SQLiteStore(path: database)
        #expect(try await reopened.integrityCheck() == [])
        for round in 0..<Self.rounds {
            try await Self.verify(reopened, first: Self.firstBatch(round: round), ackPath: directory.appendingPathComponent("acks-\(round)").path)
        }
    }

    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
    func postgresWriterKilledMidIngest() async throws {
        let database = try await PostgresTestDatabase.create()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = database.url
        for round in 0..<Self.rounds {
            let acks = directory.appendingPathComponent("acks-\(round)").path, first = Self.firstBatch(round: round), delay = Self.killDelay()
            await #expect(processExitsWith: .signal(SIGKILL)) { [url = url as String, acks = acks as String, first = first as Int, delay = delay as Double] in
                try await DurabilityTests.ingestUntilKilled(try await PostgresStore.connect(url), first: first, ackPath: acks, delay: delay)
            }
        }
        let store = try await PostgresStore.connect(url)
        for round in 0..<Self.rounds {
            try await Self.verify(store, first: Self.firstBatch(round: round), ackPath: directory.appendingPathComponent("acks-\(round)").path)
        }
        try await database.drop()
    }
}
