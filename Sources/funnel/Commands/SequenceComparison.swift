import ArgumentParser
import Foundation
import FunnelData
import FunnelEval
import FunnelRanking
import FunnelRetrieval
import FunnelTensor

/// DIN against mean-pooled LastN and against no sequence on the Amazon Games sequences, as
/// SASRec reports that dataset: leave-last-out, each user's test item ranked against 100 sampled
/// items they never took (the same lists `funnel eval` ranks the baselines on), HR@10 and
/// NDCG@10 over several training seeds.
struct SequenceComparison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequences",
        abstract: "DIN, mean-pooled LastN and no sequence on Amazon Games: HR@10 and NDCG@10 against 100 sampled negatives, over seeds."
    )

    @OptionGroup var global: GlobalOptions

    @Option(parsing: .upToNextOption, help: "Sequence poolings to compare: none, mean, attention.")
    var poolings: [DIN.Pooling] = [.none, .mean, .attention]

    @Option(help: "Training seeds.")
    var seeds = 3

    @Option(help: "The first training seed (the others follow it).")
    var firstSeed: UInt64 = 1

    @Option(help: "Item (and user) vector size.")
    var dimension = 64

    @Option(help: "Most recent items of a history read.")
    var maxLength = 50

    @Option(help: "Attention normalisation: softmax or none (as in the DIN paper).")
    var normalization: TargetAttention.Normalization = .softmax

    @Flag(help: "No recency vectors added to the history's items (position-blind pooling).")
    var noRecency = false

    @Flag(help: "A vector per user beside the sequence.")
    var userVector = false

    @Option(help: "Dropout after each hidden layer of the ranker's MLP.")
    var dropout: Float = 0

    @Option(help: "L2 penalty on the item and user rows a batch touches.")
    var l2: Float = 1e-3

    @Option(help: "Sampled negatives per training position.")
    var negatives = 4

    @Option(help: "Positions per batch.")
    var batchSize = 512

    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Most epochs (early stopping on validation HR@10).")
    var epochs = 30

    @Option(help: "Users whose validation item early stopping ranks (a seeded sample; 0 for all).")
    var validationUsers = 10_000

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        guard dimension >= 1, maxLength >= 1, negatives >= 1, batchSize >= 1, epochs >= 1, validationUsers >= 0 else {
            throw ValidationError("--dimension, --max-length, --negatives, --batch-size and --epochs must be positive, --validation-users not negative")
        }
        guard l2 >= 0, l2.isFinite, learningRate > 0, learningRate.isFinite, dropout >= 0, dropout < 1 else {
            throw ValidationError("--l2 must be a finite number ≥ 0, --learning-rate a finite number > 0 and --dropout in [0, 1)")
        }
    }

    func run() async throws {
        global.apply()
        let data = try EvaluationDataset.amazonGames.load(from: global.dataRoot)
        let split = LeaveLastOutSplit(data.interactions, userCount: data.userCount)
        let study = NextItemRanking(split: split, itemCount: data.itemCount)
        // The test lists are the baselines' (`funnel eval`); validation draws its own.
        let test = BaselineEvaluation.sampledCandidates(split, itemCount: data.itemCount)
        var validation = SampledRanking.candidates(targets: split.validation, interacted: split.allItems(), itemCount: data.itemCount, seed: 7)
        if validationUsers > 0 {
            var generator = SeededGenerator(seed: 7)
            let kept = Set(validation.indices.filter { validation[$0] != nil }.shuffled(using: &generator).prefix(validationUsers))
            for u in validation.indices where !kept.contains(u) { validation[u] = nil }
        }
        print("Amazon Games: \(data.userCount) users, \(data.itemCount) items, \(data.interactions.count) interactions; \(split.train.count) training positions")

        var results: [NextItemRanking.Result] = []
        for seed in firstSeed..<(firstSeed + UInt64(seeds)) {
            for pooling in poolings {
                var c = DIN.Configuration(itemCount: data.itemCount, userCount: data.userCount, pooling: pooling)
                (c.dimension, c.maxLength, c.embeddingL2, c.seed) = (dimension, maxLength, l2, seed)
                c.attention.normalization = normalization
                (c.recencyEmbedding, c.userEmbedding, c.deep.dropout) = (!noRecency, userVector, dropout)
                var training = TrainingConfiguration()
                (training.epochs, training.batchSize, training.learningRate, training.patience, training.seed) = (epochs, batchSize, learningRate, 3, seed)
                let progress = Progress(label: "\(pooling.rawValue) seed \(seed)")
                let (_, result) = study.run(c, training: training, negatives: negatives, validation: validation, test: test) {
                    progress.handle($0, metric: "val HR@10")
                }
                print(String(format: "seed %d  %-9@ test HR@10 %.4f  NDCG@10 %.4f  (validation HR@10 %.4f, best epoch %d of %d, %.0f s, %.0f positions/s)",
                             seed, pooling.rawValue, result.testHR10, result.testNDCG10, result.validationHR10, result.bestEpoch, result.epochs,
                             result.seconds, result.examplesPerSecond))
                results.append(result)
            }
        }
        print("\n| sequence | test HR@10 | test NDCG@10 | epochs |\n|---|---:|---:|---:|")
        for pooling in poolings {
            let runs = results.filter { $0.pooling == pooling }
            print("| \(pooling.rawValue) | \(meanAndDeviation(runs.map(\.testHR10))) | \(meanAndDeviation(runs.map(\.testNDCG10))) | \(runs.map { String($0.bestEpoch) }.joined(separator: ", ")) |")
        }
        print("(mean ± standard deviation over \(seeds) seeds; SASRec (Kang & McAuley 2018) reports HR@10 0.7410, NDCG@10 0.5360; "
            + "\(global.threads) thread(s); BLAS: \(BLASLibrary.shared.summary))")
        if let json { try writeJSON(results, to: json) }
    }
}

extension DIN.Pooling: ExpressibleByArgument {}
extension TargetAttention.Normalization: ExpressibleByArgument {}
