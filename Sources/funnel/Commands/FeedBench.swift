import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelPipeline
import FunnelRetrieval
import FunnelServer
import FunnelStore

/// Times the feed pipeline in process, one request after another: the pipeline's own cost per
/// feed, stage by stage and channel by channel, with no HTTP and no other load on the cores.
struct FeedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Time feeds in process over a store's pipeline, per stage and channel; prints JSON."
    )

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store: String = StoreLocation.defaultPath

    @Option(help: "Timed feeds (after as many untimed ones to warm up).")
    var requests: Int = 5_000

    @Option(help: "Users drawn at random: u0 … u<users−1>, as `funnel simulate` names them.")
    var users: Int = 10_000

    @Option(help: "Items per feed.")
    var n: Int = 20

    @Option(help: "Milliseconds of sleep between feeds: spaced as a server sees them, with caches gone cold in between.")
    var pauseMs: Double = 0

    @Option(help: "A funnel.toml whose [pipeline] table configures the feed (its ranker, reranker, channels).")
    var config: String?

    @Option(parsing: .upToNextOption, help: "Also report, over the --requests users, the share of the ranker's best 50 candidates (every candidate scored) that the pre-ranker keeps when it cuts to each of these sizes.")
    var preRankCuts: [Int] = []

    func validate() throws {
        if let bad = preRankCuts.first(where: { $0 < 1 }) { throw ValidationError("--pre-rank-cuts must be positive sizes, got \(bad)") }
    }

    func run() async throws {
        let configuration = try ConfigurationFile.pipeline(at: config)
        let opened = try await StoreLocation.open(store)
        let started = Date()
        let pipeline = try await PipelineLoader.build(opened, configuration: configuration)
        let buildSeconds = Date().timeIntervalSince(started)
        let state = LiveState(for: configuration)
        var random = SplitMix64(seed: 7)
        let clock = ContinuousClock()
        var total: [Double] = [], stages: [String: Double] = [:], channels: [String: Double] = [:]
        for k in 0..<(2 * requests) {
            let user = "u\(Int(random.next() % UInt64(users)))"
            if pauseMs > 0 { try await Task.sleep(for: .microseconds(Int(pauseMs * 1000))) }
            let began = clock.now
            let result = await pipeline.feed(FeedRequest(user: user, n: n), state: state)
            let seconds = (clock.now - began).seconds
            guard k >= requests else { continue }
            total.append(seconds)
            for (stage, t) in result.timings.stages { stages[stage, default: 0] += t }
            for (channel, t) in result.timings.channels { channels[channel, default: 0] += t }
        }
        let perFeed = { (sum: Double) in 1e6 * sum / Double(requests) }
        total.sort()
        var recall: [String: Double] = [:]
        if !preRankCuts.isEmpty {
            var sums = [Double](repeating: 0, count: preRankCuts.count), counted = 0
            for _ in 0..<requests {
                let user = "u\(Int(random.next() % UInt64(users)))"
                guard let shares = await pipeline.preRankRecall(for: user, now: Date(), cuts: preRankCuts) else { continue }
                sums = zip(sums, shares).map(+)
                counted += 1
            }
            guard counted > 0 else { throw CommandFailure("--pre-rank-cuts: no user had more than 50 candidates, or the feed has no pre-ranker") }
            for (cut, sum) in zip(preRankCuts, sums) { recall["\(cut)"] = sum / Double(counted) }
            recall["users"] = Double(counted)
        }
        try printJSON([
            "items": pipeline.itemCount, "ranker": pipeline.rankerName, "build_seconds": buildSeconds, "requests": requests,
            "feed_mean_us": perFeed(total.reduce(0, +)), "feed_p50_us": 1e6 * Measure.quantile(total, 0.5),
            "feed_p99_us": 1e6 * Measure.quantile(total, 0.99),
            "stage_mean_us": stages.mapValues(perFeed), "channel_mean_us": channels.mapValues(perFeed),
        ].merging(recall.isEmpty ? [:] : ["pre_rank_recall_of_top_50": recall]) { first, _ in first })
    }
}
