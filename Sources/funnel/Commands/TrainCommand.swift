import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelPipeline
import FunnelRetrieval
import FunnelServer
import FunnelStore

/// Builds a neighbour index (ItemCF or Swing: item → items; UserCF: user → users) from stored
/// events or an event file and saves it as a versioned artifact; or trains the feed's models
/// (the two-tower channel, the ranker) from a store.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Build an ItemCF, Swing or UserCF index, or train the feed's two-tower model or ranker, and save it as a versioned artifact.",
        discussion: """
            Events come from --store (every stored event) or from --events, a CSV file with the columns user, item, type and timestamp (as `funnel simulate --out` writes). The index is saved into --store as the artifact named after the model, and to --out when given.

            `funnel train feed --store S` trains both of the feed's models: `two-tower` (the user and item towers on the positive actions logged in S, before the ranker's examples; reports validation Recall@50 beside popularity's) and then `ranker` (logistic regression on the exposures logged in S, labelled by the clicks that followed within a day, over every channel including the two-tower one; reports validation AUC beside the untrained order's). Each is saved as a new version; a running server reloads on its own when it sees one.
            """
    )

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case itemcf, swing, usercf, ranker, twoTower = "two-tower", feed

        var trainsFromStore: Bool { [.ranker, .twoTower, .feed].contains(self) }
    }

    @Argument(help: "The model: \(Model.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: Model

    @OptionGroup var global: GlobalOptions

    @Option(help: "The store to read events from (unless --events) and to save the index into.")
    var store: String?

    @Option(help: "Read events from this CSV file instead of the store.")
    var events: String?

    @Option(help: "Also write the index to this file.")
    var out: String?

    @Option(help: "Neighbours kept per item (per user for usercf).")
    var k = 200

    @Option(help: "Swing: users sampled per item.")
    var maxUsersPerItem = 200

    @Option(help: "Artifact version (default: the current time, yyyyMMdd-HHmmss).")
    var version: String?

    @Option(help: "ranker, two-tower, feed: a funnel.toml whose [pipeline] table configures the feed (its ranker, channels and quotas), as the server reads it.")
    var config: String?

    func validate() throws {
        guard store != nil || events != nil else { throw ValidationError("give --store, --events or both") }
        guard !model.trainsFromStore || (store != nil && events == nil && out == nil) else { throw ValidationError("\(model.rawValue) trains from --store alone") }
        guard model.trainsFromStore || config == nil else { throw ValidationError("--config configures the feed's models (ranker, two-tower, feed), not \(model.rawValue)") }
        guard k >= 1, maxUsersPerItem >= 2 else { throw ValidationError("--k must be ≥ 1 and --max-users-per-item ≥ 2") }
    }

    func run() async throws {
        global.apply()
        if model.trainsFromStore, let store {
            let opened = try await StoreLocation.open(store)
            let configuration = try ConfigurationFile.pipeline(at: config)
            let data = try await FeedModels.read(opened)
            switch model {
            case .twoTower: try await FeedModels.trainTwoTower(store: opened, data: data, configuration: configuration)
            case .ranker: try await FeedModels.trainRanker(store: opened, data: data, configuration: configuration)
            default: try await FeedModels.trainAll(store: opened, data: data, configuration: configuration)
            }
            return
        }
        let start = Date()
        var builder = EventMatrixBuilder()
        var target: (any Store)?
        if let store { target = try await StoreLocation.open(store) }
        if let events {
            let mapping = ColumnMapping(kind: .events, columns: ["user": "user", "item": "item", "type": "type", "timestamp": "timestamp"])
            var reader = try RowReader.csv(URL(fileURLWithPath: events), mapping: mapping)
            while let row = try reader.next() {
                switch row {
                case .bad(let problem): throw problem
                case .records(let records, _): for case .event(let e) in records { builder.add(e) }
                }
            }
        } else if let target {
            var cursor: Int64 = 0
            while true {
                let page = try await target.eventPage(after: cursor, limit: 100_000)
                if page.events.isEmpty { break }
                for e in page.events { builder.add(e) }
                cursor = page.cursor
            }
        }
        guard builder.pairCount > 0 else {
            throw CommandFailure("\(events ?? store ?? "") has no events showing interest (\(InterestWeights.standard.weights.keys.map(\.rawValue).sorted().joined(separator: ", "))): nothing to train on")
        }
        let loaded = Date()
        let matrix = builder.matrix()
        let assembled = Date()
        let lists: NeighbourLists
        switch model {
        case .itemcf: lists = ItemCF.similarities(matrix, k: k)
        case .swing:
            var p = Swing.Parameters()
            (p.k, p.maxUsersPerItem) = (k, maxUsersPerItem)
            lists = Swing.similarities(matrix, p)
        case .usercf: lists = UserCF.similarities(matrix, k: k)
        case .ranker, .twoTower, .feed: fatalError("\(model.rawValue) returned above")
        }
        let built = Date()
        let index = NeighbourIndex(model: model.rawValue, ids: model == .usercf ? builder.users : builder.items, lists: lists)
        let blob = index.serialized
        let version = version ?? Self.timestamp()
        if let out { try blob.write(to: URL(fileURLWithPath: out), options: .atomic) }
        if let target {
            let manifest: [String: Any] = ["model": model.rawValue, "version": version, "k": k, "events": builder.eventCount,
                                           "users": builder.users.count, "items": builder.items.count, "pairs": builder.pairCount]
            try await target.saveArtifact(StoredArtifact(name: model.rawValue, version: version,
                                                         manifest: try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]), blob: blob))
        }
        print(String(format: "%@: %d events, %d users, %d items, %d pairs; read %.1f s, matrix %.2f s, built %.2f s (%d threads); %d neighbour entries; peak memory %.0f MiB; version %@",
                     model.rawValue, builder.eventCount, builder.users.count, builder.items.count, builder.pairCount,
                     loaded.timeIntervalSince(start), assembled.timeIntervalSince(loaded), built.timeIntervalSince(assembled), global.threads, lists.neighbours.count,
                     Measure.peakMemoryMiB, version))
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: Date())
    }
}
