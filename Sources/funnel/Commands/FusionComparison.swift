import ArgumentParser
import Foundation
import FunnelData
import FunnelEval
import FunnelPipeline
import FunnelRanking
import FunnelStages
import FunnelTensor

/// The fusion rules judged against the simulated world's truth: a world simulated in memory
/// (the quickstart's by default), MMoE trained on its log as `funnel train ranker` trains it,
/// then for sampled users the feed's candidates at the end of the log, ordered by each rule's
/// fusion of the predictions and scored by NDCG@k against the true expected utility, the same
/// weights applied to what the world's response model expects of each candidate.
struct FusionComparison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fusion",
        abstract: "Each fusion rule's order of the feed's candidates against the simulated world's true expected utility (NDCG@k)."
    )

    @Option var users = 10_000
    @Option var items = 20_000
    @Option var authors = 2_000
    @Option var days = 14
    @Option(help: "The world's seed.")
    var seed: UInt64 = 1

    @Option(help: "Users whose candidates are judged.")
    var sample = 2_000

    @Option(help: "The length of the judged list.")
    var k = 20

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @OptionGroup var global: GlobalOptions

    struct Result: Codable {
        var order: String
        var ndcg: Double
    }

    func validate() throws {
        guard users > 0, items > 0, authors > 0, days > 1 else { throw ValidationError("--users, --items and --authors must be positive and --days at least 2") }
        guard sample > 0, k > 0 else { throw ValidationError("--sample and --k must be positive") }
    }

    func run() async throws {
        global.apply()
        var started = Date()
        var c = FeedWorld.Configuration()
        (c.seed, c.users, c.items, c.authors, c.days) = (seed, users, items, authors, days)
        let simulation = FeedSimulation(world: try FeedWorld(c))
        var catalogue: [Item] = [], userRecords: [User] = [], events: [Event] = []
        while let batch = try simulation.nextBatch() {
            catalogue += batch.items
            userRecords += batch.users
            events += batch.events
        }
        print(String(format: "simulated %d users, %d items, %d events in %.1f s", users, catalogue.count, events.count, Date().timeIntervalSince(started)))

        started = Date()
        let configuration = PipelineConfiguration()
        let examples = try await RankerTraining.rankingExamples(items: catalogue, users: userRecords, events: events, configuration: configuration)
        let (ranker, report) = try MultiTaskRanker.train(on: examples, configuration: .init())
        print(String(format: "mmoe trained on %d exposures in %.1f s: click AUC %.4f", examples.count, Date().timeIntervalSince(started), report.metrics["click.auc"] ?? .nan))
        let now = events.map(\.timestamp).max()!.addingTimeInterval(1)
        let pipeline = try FeedPipeline(version: "study", configuration: configuration, items: catalogue, users: userRecords,
                                        events: events, now: now, ranker: ranker)

        // Each order's NDCG@k, per user, against the truth Σ wᵢ E[objectiveᵢ] with watch time as
        // log(1 + expected seconds), as the fusion weighs the predictions.
        let weights = ScoreFusion.defaultWeights
        var orders: [(String, ScoreFusion)] = ScoreFusion.Rule.allCases.map { rule in
            var fusion = ScoreFusion()
            fusion.rule = rule
            return (rule.rawValue, fusion)
        }
        var clickOnly = ScoreFusion()
        clickOnly.weights = ["click": 1]
        orders.append(("click prediction alone", clickOnly))
        var totals = [Double](repeating: 0, count: orders.count + 2)
        var judged = 0
        var generator = SeededGenerator(seed: 7)
        for user in (0..<users).shuffled(using: &generator).prefix(sample) {
            let (candidates, predictions) = await pipeline.rankingCandidates(for: "u\(user)", now: now)
            guard candidates.count > k else { continue }
            let responses = candidates.map { simulation.expectedResponse(user: user, item: Int($0.dropFirst())!) }
            let utility = responses.map { r -> Double in
                let expected: [String: Double] = ["click": r.click, "like": r.like, "collect": r.collect, "share": r.share, "comment": r.comment,
                                                  "follow": r.follow, "completion": r.completion, "watch-time": log1p(r.watchSeconds)]
                return expected.reduce(0) { $0 + (weights[$1.key] ?? 0) * $1.value }
            }
            for (j, (_, fusion)) in orders.enumerated() {
                totals[j] += ListMetrics.ndcg(scores: Self.ranks(fusion.fuse(predictions)), relevance: utility, k: k)
            }
            totals[orders.count] += ListMetrics.ndcg(scores: Self.ranks(responses.map(\.click)), relevance: utility, k: k)
            totals[orders.count + 1] += ListMetrics.ndcg(scores: (0..<candidates.count).map { _ in Float.random(in: 0..<1, using: &generator) }, relevance: utility, k: k)
            judged += 1
        }
        guard judged > 0 else { throw CommandFailure("no sampled user had more than \(k) candidates") }
        let names = orders.map(\.0) + ["true click probability (reference)", "random order (reference)"]
        let results = zip(names, totals).map { Result(order: $0, ndcg: $1 / Double(judged)) }
        print("\nNDCG@\(k) against the true expected utility, \(judged) users:\n| order | NDCG@\(k) |\n|---|---:|")
        for r in results { print(String(format: "| %@ | %.4f |", r.order, r.ndcg)) }
        print("(\(global.threads) thread(s); BLAS: \(BLASLibrary.shared.summary))")
        if let json { try writeJSON(results, to: json) }
    }

    /// Scores as their descending rank, so that an order of doubles is kept exactly in floats.
    static func ranks(_ scores: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: scores.count)
        for (rank, i) in scores.indices.sorted(by: { (scores[$0], $1) > (scores[$1], $0) }).enumerated() { out[i] = Float(scores.count - rank) }
        return out
    }
}
