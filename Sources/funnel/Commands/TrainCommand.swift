import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelPipeline
import FunnelRetrieval
import FunnelServer
import FunnelStore

/// Trains the feed's models (the two-tower channel, the ranker) from a store and saves them as
/// versioned artifacts the server loads; or builds a neighbour index (ItemCF or Swing: item →
/// items; UserCF: user → users) from stored events or an event file into a file, to inspect,
/// time or evaluate. The server builds its own neighbour indexes from the event log at every
/// rebuild, so that they are never older than the rebuild interval; it reads no index file.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the feed's two-tower model or ranker into the store, or build an ItemCF, Swing or UserCF index into a file.",
        discussion: """
            itemcf, swing, usercf: events come from --store (every stored event) or from --events, a CSV file with the columns user, item, type and timestamp (as `funnel simulate --out` writes), and the index goes to --out. The server does not read it: it builds these indexes from the event log itself at every rebuild (`rebuildEverySeconds`), so that they follow the log.

            `funnel train feed --store S` trains both of the feed's models: `two-tower` (the user and item towers on the positive actions logged in S, before the ranker's examples; reports validation Recall@50 beside popularity's) and then `ranker` (the ranker that [pipeline] ranker names, MMoE by default, on the exposures logged in S, labelled by what the user did within a day, over every channel including the two-tower one; reports validation AUC beside the untrained order's). Each is saved as a new version; a running server reloads on its own when it sees one.
            """
    )

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case itemcf, swing, usercf, ranker, twoTower = "two-tower", feed

        var trainsFromStore: Bool { [.ranker, .twoTower, .feed].contains(self) }
    }

    @Argument(help: "The model: \(Model.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: Model

    @OptionGroup var global: GlobalOptions

    @Option(help: "The store: what ranker, two-tower and feed train from and save into; what itemcf, swing and usercf read events from (unless --events).")
    var store: String?

    @Option(help: "Read events from this CSV file instead of the store.")
    var events: String?

    @Option(help: "itemcf, swing, usercf: the file to write the index to.")
    var out: String?

    @Option(help: "Neighbours kept per item (per user for usercf).")
    var k = 200

    @Option(help: "Swing: users sampled per item.")
    var maxUsersPerItem = 200

    @Option(help: "ranker, two-tower, feed: a funnel.toml whose [pipeline] table configures the feed (its ranker, channels and quotas), as the server reads it.")
    var config: String?

    func validate() throws {
        guard store != nil || events != nil else { throw ValidationError("give --store, --events or both") }
        guard !model.trainsFromStore || (store != nil && events == nil && out == nil) else { throw ValidationError("\(model.rawValue) trains from --store alone") }
        guard model.trainsFromStore || config == nil else { throw ValidationError("--config configures the feed's models (ranker, two-tower, feed), not \(model.rawValue)") }
        guard model.trainsFromStore || out != nil else {
            throw ValidationError("\(model.rawValue) writes its index to a file: give --out (the server builds its own from the event log at every rebuild)")
        }
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
        if let events {
            let mapping = ColumnMapping(kind: .events, columns: ["user": "user", "item": "item", "type": "type", "timestamp": "timestamp"])
            var reader = try RowReader.csv(URL(fileURLWithPath: events), mapping: mapping)
            while let row = try reader.next() {
                switch row {
                case .bad(let problem): throw problem
                case .records(let records, _): for case .event(let e) in records { builder.add(e) }
                }
            }
        } else if let store {
            let target = try await StoreLocation.open(store)
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
        if let out { try index.serialized.write(to: URL(fileURLWithPath: out), options: .atomic) }
        print(String(format: "%@: %d events, %d users, %d items, %d pairs; read %.1f s, matrix %.2f s, built %.2f s (%d threads); %d neighbour entries; peak memory %.0f MiB; written to %@",
                     model.rawValue, builder.eventCount, builder.users.count, builder.items.count, builder.pairCount,
                     loaded.timeIntervalSince(start), assembled.timeIntervalSince(loaded), built.timeIntervalSince(assembled), global.threads, lists.neighbours.count,
                     Measure.peakMemoryMiB, out ?? ""))
    }
}
