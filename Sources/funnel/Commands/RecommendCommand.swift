import ArgumentParser
import Foundation
import FunnelData
import FunnelIndex
import FunnelPipeline
import FunnelServer
import FunnelStore

/// One user's feed from the command line: the pipeline built from the store (with its latest
/// ranker), as the server would serve it, printed as a table.
struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Print a user's feed, built from the store as the server would serve it."
    )

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store: String = StoreLocation.defaultPath

    @Option(help: "The user (one with no history gets the cold-start feed).")
    var user: String

    @Option(help: "Items in the feed.")
    var n: Int = 10

    @Option(help: "Where the user is, as latitude,longitude (for the nearby channels).")
    var location: String?

    @Option(help: "A funnel.toml whose [pipeline] table configures the feed.")
    var config: String?

    @Flag(help: "Also print what each stage did (candidates per channel, what each filter removed, timings).")
    var explain = false

    func validate() throws {
        guard (1...500).contains(n) else { throw ValidationError("--n must be from 1 to 500, got \(n)") }
        if let location, GeoPoint(parsing: location) == nil { throw ValidationError("--location must be latitude,longitude in degrees, got '\(location)'") }
    }

    func run() async throws {
        let configuration = try ConfigurationFile.pipeline(at: config)
        let opened = try await StoreLocation.open(store)
        let started = Date()
        let pipeline = try await PipelineLoader.build(opened, configuration: configuration)
        print("pipeline \(pipeline.version): \(pipeline.itemCount) items, ranked by \(pipeline.rankerName), "
              + String(format: "built in %.1f s", Date().timeIntervalSince(started)))
        if let notice = pipeline.rankerNotice { print("warning: \(notice)") }
        // What the server has saved as shown to the user stays out, as it would in their feed.
        let state = LiveState(for: configuration)
        if let saved = try await opened.userState(kind: LiveState.storedKind, user: user) {
            do { state.takeIn(stored: try ExposureFilter(serialized: saved), for: user, at: .now) } catch {
                print("warning: the saved exposure filter of \(user) does not decode and is left out: \(error)")
            }
        }
        let feed = await pipeline.feed(FeedRequest(user: user, n: n, location: location.flatMap { GeoPoint(parsing: $0) }, explain: true), state: state)
        print("\nfeed for \(user)\(feed.isColdStart ? " (no history: cold start)" : ""):")
        FeedTable.print(feed, pipeline: pipeline)
        if explain, let e = feed.explanation {
            print("\ncandidates by channel: " + e.retrievedByChannel.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            print("merged \(e.merged), removed " + e.removedByFilter.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                  + ", ranked \(e.ranked), reranked \(e.reranked)")
            print("milliseconds: " + e.stageMilliseconds.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", "))
            if !e.failedChannels.isEmpty { print("failed channels: \(e.failedChannels)") }
        }
    }
}

/// A feed as a table: rank, item, score, categories and the channels that proposed it.
enum FeedTable {
    static func print(_ feed: FeedResult, pipeline: FeedPipeline) {
        Swift.print("  rank  item            score   categories                channels")
        for (k, entry) in feed.items.enumerated() {
            let item = pipeline.item(entry.item)
            let channels = (entry.channels ?? []).map(\.channel).joined(separator: ",")
            Swift.print(String(format: "  %4d  %@  %.4f  %@  %@", k + 1, entry.item.padding(toLength: 14, withPad: " ", startingAt: 0), entry.score,
                               (item?.categories.joined(separator: ",") ?? "").padding(toLength: 24, withPad: " ", startingAt: 0), channels))
        }
    }
}
