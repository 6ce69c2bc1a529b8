import ArgumentParser
import Foundation
import FunnelData
import FunnelPipeline
import FunnelServer
import FunnelStore
import Hummingbird
import Logging

/// The main job: a simulated feed (or what the store already holds), the ranker trained on its
/// exposures, a sample feed, and the API served over it.
struct QuickstartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Simulate a feed into SQLite, train the ranker, print a sample feed and serve the API.",
        discussion: "Runs on what --store already holds when it has items (use --fresh to simulate anew)."
    )

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store = "quickstart.sqlite"
    @Flag(help: "Delete a SQLite store first and simulate anew.")
    var fresh = false
    @Option var users = 10_000
    @Option var items = 20_000
    @Option var authors = 2_000
    @Option(help: "Simulated days, ending now.")
    var days = 14
    @Option var seed: UInt64 = 1
    @Option var host = "127.0.0.1"
    @Option var port = 8080
    @Option(help: "The API key for writes (default: a random one, printed).")
    var apiKey: String?
    @Flag(help: "Stop after the sample feed instead of serving.")
    var noServe = false

    func validate() throws {
        guard users > 0, items > 0, authors > 0, days > 0 else { throw ValidationError("--users, --items, --authors and --days must be positive") }
    }

    func run() async throws {
        let started = Date()
        if fresh, !store.hasPrefix("postgres") { try? FileManager.default.removeItem(atPath: store) }
        let target = try await StoreLocation.open(store)
        if try await target.itemPage(after: nil, limit: 1).isEmpty {
            var c = FeedWorld.Configuration()
            (c.seed, c.users, c.items, c.authors, c.days) = (seed, users, items, authors, days)
            c.start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3_600).rounded(.down) * 3_600 - Double(days) * 86_400)
            let counts = try await SimulateCommand.write(FeedSimulation(world: try FeedWorld(c)), into: target)
            print("simulated \(counts.users) users, \(counts.items) items and \(counts.events) events over \(days) days into \(store) "
                  + String(format: "(%.1f s)", Date().timeIntervalSince(started)))
        } else {
            print("using what \(store) holds (--fresh simulates anew)")
        }
        let data = try await FeedModels.read(target)
        try await FeedModels.trainAll(store: target, data: data, configuration: PipelineConfiguration())
        let building = Date()
        let pipeline = try await PipelineLoader.build(target, configuration: PipelineConfiguration(), data: data)
        print("pipeline \(pipeline.version): \(pipeline.itemCount) items, ranked by \(pipeline.rankerName), "
              + String(format: "built in %.1f s", Date().timeIntervalSince(building)))
        if let notice = pipeline.rankerNotice { print("warning: \(notice)") }

        let state = LiveState(for: pipeline.configuration)
        let someone = try await target.eventPage(after: 0, limit: 1).events.first?.userID ?? "user-0"
        for user in [someone, "someone-new"] {
            let feed = await pipeline.feed(FeedRequest(user: user, n: 10, explain: true), state: state)
            print("\nfeed for \(user)\(user == someone ? "" : " (no history: cold start)"):")
            FeedTable.print(feed, pipeline: pipeline)
        }
        print(String(format: "\nready in %.0f s", Date().timeIntervalSince(started)))
        guard !noServe else { return }

        let key = apiKey ?? (0..<24).map { _ in String("abcdefghijkmnopqrstuvwxyz23456789".randomElement()!) }.joined()
        let api = FunnelAPI(store: target, configuration: ServerConfiguration(host: host, port: port, apiKeys: [key]),
                            pipelines: PipelineHolder(pipeline, state: state))
        try await api.application { port in
            print("""
                Funnel serving http://\(host):\(port)/v1 (Ctrl-C stops it); API key for writes: \(key)
                  curl 'http://\(host):\(port)/v1/feed/\(someone)?n=10&explain=true'
                  curl -X POST -H 'X-API-Key: \(key)' -H 'Content-Type: application/json' http://\(host):\(port)/v1/events \\
                       -d '[{"userID": "\(someone)", "itemID": "\(pipeline.popularItems(1).first ?? "")", "type": "click", "timestamp": "\(ISO8601DateFormatter().string(from: Date()))"}]'
                """)
        }.runService()
    }
}
