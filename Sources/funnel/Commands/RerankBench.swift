import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelRerank
import FunnelStages

/// The rerankers' latency on a feed's shortlist: `--select` slots from `--candidates` with
/// random relevances, each candidate in a leaf of a two-level category tree, compared by the
/// Jaccard overlap of their category levels as the feed compares them.
struct RerankBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerank",
        abstract: "Time MMR and DPP choosing a feed's slots from its shortlist; prints JSON."
    )

    @Option(help: "Candidates in the shortlist.")
    var candidates = 500

    @Option(help: "Slots to fill.")
    var select = 50

    @Option(help: "Top categories, each with as many leaves.")
    var topics = 12

    @Option(help: "Timed orders per reranker.")
    var iterations = 2_000

    func validate() throws {
        guard candidates > 0, select > 0, topics > 0, iterations > 0 else {
            throw ValidationError("--candidates, --select, --topics and --iterations must be positive")
        }
    }

    func run() async throws {
        var generator = SplitMix64(seed: 3)
        let relevance = (0..<candidates).map { _ in generator.nextUnitDouble() }
        // Levels as sorted ids: top t is t, its leaf l is topics + t·topics + l.
        let levels: [[Int32]] = (0..<candidates).map { _ in
            let top = Int32(Int(generator.nextUnitDouble() * Double(topics)))
            let leaf = Int32(topics) + top * Int32(topics) + Int32(Int(generator.nextUnitDouble() * Double(topics)))
            return [top, leaf]
        }
        let rerankers: [(String, any Reranker)] = [
            ("mmr", MMRReranker(lambda: 0.7, window: 5)),
            ("dpp", DPPReranker(theta: 0.7)),
            ("dpp_window_10", DPPReranker(theta: 0.7, window: 10)),
        ]
        var result: [String: Any] = ["candidates": candidates, "select": select, "iterations": iterations]
        let flat = levels.flatMap { $0 }
        for (name, reranker) in rerankers {
            var placed = 0
            // The levels side by side, read in place, as the feed reads them.
            let latencies = flat.withUnsafeBufferPointer { flat in
                Measure.latencies(iterations: iterations) {
                    placed = reranker.order(relevance: relevance, n: select) {
                        CategorySimilarity.jaccard(UnsafeBufferPointer(rebasing: flat[(2 * $0)..<(2 * $0 + 2)]),
                                                   UnsafeBufferPointer(rebasing: flat[(2 * $1)..<(2 * $1 + 2)]))
                    }.count
                }
            }
            result[name] = ["p50_us": Measure.quantile(latencies, 0.5) * 1e6, "p99_us": Measure.quantile(latencies, 0.99) * 1e6, "placed": placed]
        }
        try printJSON(result)
    }
}
