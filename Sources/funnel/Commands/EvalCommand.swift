import ArgumentParser
import Foundation
import FunnelEval
import FunnelRetrieval

/// Evaluates baselines on the public datasets under the standard protocols.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate retrieval baselines, leave-last-out: sampled negatives (HR@10, NDCG@10) and full ranking (Recall@50)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Datasets: \(EvaluationDataset.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var dataset: [EvaluationDataset] = EvaluationDataset.allCases

    enum Model: String, ExpressibleByArgument, CaseIterable { case popularity, itemcf, swing, usercf }

    @Option(help: "Models: \(Model.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var model: [Model] = Model.allCases

    @Option(help: "Sampled negatives per user.")
    var negatives: Int = 100

    @Option(help: "How negatives are drawn: uniform or popularity.")
    var sampling: SampledRanking.Sampling = .uniform

    @Option(help: "Seed for the negative sampler.")
    var seed: UInt64 = 42

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard negatives >= 1 else { throw ValidationError("--negatives must be at least 1, got \(negatives)") }
    }

    func run() async throws {
        global.apply()
        var results: [BaselineEvaluation] = []
        print("| dataset | model | users | items | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 | full Recall@50 |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for d in dataset {
            let (interactions, users, items) = try d.load(from: global.dataRoot)
            for m in model {
                let r = switch m {
                case .popularity: BaselineEvaluation.popularity(d, interactions: interactions, userCount: users, itemCount: items,
                                                                negatives: negatives, sampling: sampling, seed: seed)
                case .itemcf: BaselineEvaluation.itemCF(d, interactions: interactions, userCount: users, itemCount: items,
                                                        negatives: negatives, sampling: sampling, seed: seed)
                case .swing: BaselineEvaluation.swing(d, interactions: interactions, userCount: users, itemCount: items,
                                                      negatives: negatives, sampling: sampling, seed: seed)
                case .usercf: BaselineEvaluation.userCF(d, interactions: interactions, userCount: users, itemCount: items,
                                                        negatives: negatives, sampling: sampling, seed: seed)
                }
                results.append(r)
                print(String(format: "| %@ | %@ | %d | %d | %.4f | %.4f | %.4f | %.4f | %.4f |", r.dataset, r.model, r.users, r.items,
                             r.sampledHR10, r.sampledNDCG10, r.fullHR10, r.fullNDCG10, r.fullRecall50))
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json), options: .atomic)
            print("wrote \(json)")
        }
    }
}

extension EvaluationDataset: ExpressibleByArgument {}
extension SampledRanking.Sampling: ExpressibleByArgument {}
