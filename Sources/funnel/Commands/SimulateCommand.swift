import ArgumentParser
import Foundation
import FunnelData
import FunnelStore

/// Generates a simulated feed (users, items, exposures and the feedback that follows) into a
/// store or into CSV files that `funnel import csv` reads back.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a feed: users with drifting interests, items by authors in cities, exposures, clicks, watch time and more.",
        discussion: "The generative model is described in docs/simulation.md. The same options and seed give the same events."
    )

    @Option(help: "Seed: the same seed and options give the same world and events.")
    var seed: UInt64 = 1
    @Option var users = 10_000
    @Option var authors = 2_000
    @Option var items = 20_000
    @Option var days = 14
    @Option(help: "Exposures per feed request.")
    var feedSize = 10
    @Option(help: "Mean feed requests per user and day.")
    var sessionsPerDay = 2.0
    @Option(help: "Stop after this many events (default: when the days are over).")
    var events: Int?
    @Flag(help: "Let the simulated days end now (by default they start on 2025-01-01, so that a seed always gives the same events).")
    var endsNow = false

    @Option(help: "Write into this store (a SQLite file path or a postgres:// URL).")
    var store: String?
    @Option(help: "Write users.csv, items.csv, events.csv and world.json into this directory.")
    var out: String?

    @Option(help: "Records per write.")
    var batch = 10_000

    func validate() throws {
        guard (store == nil) != (out == nil) else { throw ValidationError("give exactly one of --store and --out") }
        try validateBatchOption(batch)
        if let events, events < 0 { throw ValidationError("--events must not be negative") }
    }

    func run() async throws {
        var c = FeedWorld.Configuration()
        c.seed = seed
        (c.users, c.authors, c.items, c.days, c.feedSize, c.sessionsPerDay) = (users, authors, items, days, feedSize, sessionsPerDay)
        if endsNow { c.start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3_600).rounded(.down) * 3_600 - Double(days) * 86_400) }
        let startTime = Date()
        let simulation = FeedSimulation(world: try FeedWorld(c), batchSize: batch, maximumEvents: events)
        var counts = (users: 0, items: 0, events: 0)
        if let store {
            counts = try await Self.write(simulation, into: try await StoreLocation.open(store))
        } else if let out {
            counts = try Self.writeFiles(simulation, to: URL(fileURLWithPath: out, isDirectory: true))
        }
        let seconds = Date().timeIntervalSince(startTime)
        print("simulated \(counts.users) users, \(counts.items) items and \(counts.events) events over \(days) days in "
              + String(format: "%.1f s (%.0f events/s) into %@", seconds, Double(counts.events) / max(seconds, 1e-9), store ?? out ?? ""))
    }

    /// Writes every batch of the simulation into a store; returns what it wrote.
    static func write(_ simulation: FeedSimulation, into target: any Store) async throws -> (users: Int, items: Int, events: Int) {
        var counts = (users: 0, items: 0, events: 0)
        let progress = Progress(label: "simulating")
        while let b = try simulation.nextBatch() {
            if !b.users.isEmpty { try await target.upsertUsers(b.users) }
            if !b.items.isEmpty { try await target.upsertItems(b.items) }
            if !b.events.isEmpty { try await target.appendEvents(b.events) }
            counts = (counts.users + b.users.count, counts.items + b.items.count, counts.events + b.events.count)
            progress.count(counts.events, "events")
        }
        progress.finish()
        return counts
    }

    static func writeFiles(_ simulation: FeedSimulation, to directory: URL) throws -> (users: Int, items: Int, events: Int) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(simulation.world.configuration).write(to: directory.appendingPathComponent("world.json"))
        let users = try CSVWriter(url: directory.appendingPathComponent("users.csv"), header: ["id", "device", "age", "city", "latitude", "longitude", "created"])
        let items = try CSVWriter(url: directory.appendingPathComponent("items.csv"),
                                  header: ["id", "categories", "tags", "author", "latitude", "longitude", "created", "duration"])
        let events = try CSVWriter(url: directory.appendingPathComponent("events.csv"),
                                   header: ["user", "item", "type", "timestamp", "watched", "duration", "device", "city", "hour"])
        var counts = (users: 0, items: 0, events: 0)
        let number = { (x: Double?) in x.map { $0 == $0.rounded() ? String(Int64($0)) : String($0) } }
        while let b = try simulation.nextBatch() {
            for u in b.users {
                try users.write([u.id, u.categorical["device"], u.categorical["age"], u.categorical["city"], number(u.home?.latitude),
                                 number(u.home?.longitude), number(u.createdAt?.timeIntervalSince1970)])
            }
            for i in b.items {
                try items.write([i.id, i.categories.joined(separator: "|"), i.tags.joined(separator: "|"), i.authorID,
                                 number(i.location?.latitude), number(i.location?.longitude),
                                 number(i.createdAt?.timeIntervalSince1970), number(i.numeric["duration"])])
            }
            for e in b.events {
                try events.write([e.userID, e.itemID, e.type.rawValue, number(e.timestamp.timeIntervalSince1970), number(e.watchedSeconds),
                                  number(e.itemDuration), e.context.device, e.context.city, e.context.hour.map(String.init)])
            }
            counts = (counts.users + b.users.count, counts.items + b.items.count, counts.events + b.events.count)
        }
        for writer in [users, items, events] { try writer.close() }
        return counts
    }
}
