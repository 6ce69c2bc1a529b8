import ArgumentParser
import Foundation
import FunnelData
import FunnelEval
import FunnelPipeline
import FunnelRanking
import FunnelRetrieval
import FunnelServer
import FunnelStore
import FunnelTensor

/// Evaluates baselines on the public datasets under the standard protocols, or, with `--store`,
/// the whole feed on a store's own log.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate retrieval baselines, leave-last-out: sampled negatives (HR@10, NDCG@10) and full ranking (Recall@50); or, with --store, the feed.",
        discussion: """
            With --store S, the feed is judged on S's own log: the events before the last --holdout-days build the pipeline and train the two-tower model and the ranker (unless --no-train), and each of --users users with positive actions after that gets a feed of --n items, scored by the share of those items it holds (Recall@n), beside the popularity list and each channel's candidates.
            """
    )

    @Option(help: "Evaluate the feed on this store's log instead of baselines on the datasets.")
    var store: String?

    @Option(help: "With --store: days at the end of the log held out.")
    var holdoutDays: Double = 1

    @Option(help: "With --store: items per feed.")
    var n: Int = 50

    @Option(help: "With --store: users sampled among those with held-out actions.")
    var users: Int = 2_000

    @Flag(help: "With --store: no models trained (reciprocal-rank fusion, no two-tower channel).")
    var noTrain = false

    @Option(help: "With --store: write the split the feed is judged on to this folder (train.csv: user, item, timestamp of the positive actions before it; test.csv: user, item held out, for the sampled users), so that peers are judged on the same.")
    var splitOut: String?

    @Option(help: "With --store: a funnel.toml whose [pipeline] table configures the feed.")
    var config: String?

    @Flag(help: "With --store and --config: the feed judged under each arm of each experiment in the file's [experiments], over the same trained models and users (what each arm would do, offline).")
    var arms = false

    @OptionGroup var global: GlobalOptions

    @Option(help: "Datasets: \(EvaluationDataset.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var dataset: [EvaluationDataset] = EvaluationDataset.allCases

    enum Model: String, CaseIterable {
        case popularity, itemcf, swing, usercf, als, bpr, item2vec, twoTower = "two-tower"
        /// ALS and BPR as their channels serve them: user vectors folded in from the latest actions.
        case alsFoldIn = "als-fold-in", bprFoldIn = "bpr-fold-in"
    }

    @Option(parsing: .upToNextOption, help: "Baselines: \(Model.allCases.map(\.rawValue).joined(separator: ", ")) (default: all but two-tower, which trains for minutes, and the fold-ins); with --libfm, folders of saved CTR models (\(SavedCTRModel.kinds.joined(separator: ", "))).")
    var model: [String] = []

    @Option(help: "two-tower: the loss, \(TwoTowerObjective.Loss.allCases.map(\.rawValue).joined(separator: ", ")).")
    var loss: TwoTowerObjective.Loss = .listwise

    @Option(help: "two-tower: where negatives come from, \(TwoTowerObjective.Negatives.allCases.map(\.rawValue).joined(separator: ", ")).")
    var towerNegatives: TwoTowerObjective.Negatives = .inBatch

    @Option(help: "two-tower: add the self-supervised item-tower loss with this augmentation, \(TwoTowerObjective.SelfSupervision.Augmentation.allCases.map(\.rawValue).joined(separator: ", ")).")
    var selfSupervised: TwoTowerObjective.SelfSupervision.Augmentation?

    @Option(help: "two-tower: most training epochs (early-stopped on validation HR@10).")
    var epochs = 30

    @Option(help: "two-tower: the temperature that divides the cosines.")
    var temperature: Float = 0.1

    @Option(help: "Score the saved CTR models given by --model on this libfm file (AUC and log loss; with several models, also their ensemble, the mean of their logits).")
    var libfm: String?

    @Option(help: "With --libfm: the products' arithmetic, \(Precision.allCases.map(\.rawValue).joined(separator: " or ")) (bfloat16 needs a CPU with AMX-BF16).")
    var precision: Precision = .float32

    @Option(help: "Sampled negatives per user.")
    var negatives: Int = 100

    @Option(help: "How negatives are drawn: uniform or popularity.")
    var sampling: SampledRanking.Sampling = .uniform

    @Option(help: "Seed for the negative sampler.")
    var seed: UInt64 = 42

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    /// The baselines named by `--model`, all by default.
    var baselines: [Model] {
        get throws {
            guard !model.isEmpty else { return Model.allCases.filter { ![.twoTower, .alsFoldIn, .bprFoldIn].contains($0) } }
            return try model.map {
                guard let m = Model(rawValue: $0) else {
                    throw ValidationError("unknown baseline '\($0)'; expected one of \(Model.allCases.map(\.rawValue).joined(separator: ", ")), or saved CTR model folders with --libfm")
                }
                return m
            }
        }
    }

    func validate() throws {
        if libfm != nil {
            guard !model.isEmpty else { throw ValidationError("--libfm needs at least one --model folder holding a saved CTR model") }
        } else {
            _ = try baselines
        }
        if precision == .bfloat16 && !Precision.bfloat16IsAvailable {
            throw ValidationError("--precision bfloat16 needs a CPU with AMX-BF16 tiles, which this one lacks (or the kernel does not allow); use float32")
        }
        guard negatives >= 1 else { throw ValidationError("--negatives must be at least 1, got \(negatives)") }
        guard holdoutDays > 0, n >= 1, users >= 1 else { throw ValidationError("--holdout-days, --n and --users must be positive") }
    }

    func run() async throws {
        global.apply()
        if let store {
            try await evaluateFeed(on: try await StoreLocation.open(store))
            return
        }
        if let libfm {
            try scoreCTRModels(on: libfm)
            return
        }
        var results: [BaselineEvaluation] = []
        print("| dataset | model | users | items | sampled HR@10 | sampled NDCG@10 | full HR@10 | full NDCG@10 | full Recall@50 | tail Recall@50 |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for d in dataset {
            let (interactions, users, items) = try d.load(from: global.dataRoot)
            for m in try baselines {
                let r = switch m {
                case .popularity: BaselineEvaluation.popularity(d, interactions: interactions, userCount: users, itemCount: items,
                                                                negatives: negatives, sampling: sampling, seed: seed)
                case .itemcf: BaselineEvaluation.itemCF(d, interactions: interactions, userCount: users, itemCount: items,
                                                        negatives: negatives, sampling: sampling, seed: seed)
                case .swing: BaselineEvaluation.swing(d, interactions: interactions, userCount: users, itemCount: items,
                                                      negatives: negatives, sampling: sampling, seed: seed)
                case .usercf: BaselineEvaluation.userCF(d, interactions: interactions, userCount: users, itemCount: items,
                                                        negatives: negatives, sampling: sampling, seed: seed)
                case .als: BaselineEvaluation.als(d, interactions: interactions, userCount: users, itemCount: items,
                                                  negatives: negatives, sampling: sampling, seed: seed)
                case .bpr: BaselineEvaluation.bpr(d, interactions: interactions, userCount: users, itemCount: items,
                                                  negatives: negatives, sampling: sampling, seed: seed)
                case .alsFoldIn: BaselineEvaluation.foldedIn(d, model: m.rawValue, interactions: interactions, userCount: users, itemCount: items,
                                                             negatives: negatives, sampling: sampling, seed: seed) { ImplicitALS.FoldIn(ImplicitALS($0)) }
                case .bprFoldIn: BaselineEvaluation.foldedIn(d, model: m.rawValue, interactions: interactions, userCount: users, itemCount: items,
                                                             negatives: negatives, sampling: sampling, seed: seed) { BPR($0) }
                case .item2vec: BaselineEvaluation.item2vec(d, interactions: interactions, userCount: users, itemCount: items,
                                                            negatives: negatives, sampling: sampling, seed: seed)
                case .twoTower: try twoTower(d, interactions: interactions, userCount: users, itemCount: items)
                }
                results.append(r)
                print(String(format: "| %@ | %@ | %d | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |", r.dataset, r.model, r.users, r.items,
                             r.sampledHR10, r.sampledNDCG10, r.fullHR10, r.fullNDCG10, r.fullRecall50, r.tailRecall50 ?? .nan))
            }
        }
        if let json { try writeJSON(results, to: json) }
    }
}

extension TwoTowerObjective.Loss: ExpressibleByArgument {}
extension TwoTowerObjective.Negatives: ExpressibleByArgument {}
extension TwoTowerObjective.SelfSupervision.Augmentation: ExpressibleByArgument {}

extension EvalCommand {
    /// The two-tower model trained with the objective the options give, with a progress bar.
    func twoTower(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int) throws -> BaselineEvaluation {
        let objective = TwoTowerObjective(loss: loss, negatives: towerNegatives,
                                          selfSupervision: selfSupervised.map { TwoTowerObjective.SelfSupervision(augmentation: $0) })
        let bags = try dataset.itemBags(from: global.dataRoot)
        if let augmentation = selfSupervised, augmentation != .dropout, bags == nil {
            throw CommandFailure("--self-supervised \(augmentation.rawValue) masks some of an item's features, but \(dataset.rawValue) has item ids only; use dropout")
        }
        let progress = Progress(label: "two-tower \(objective.name)")
        var training = TrainingConfiguration(epochs: epochs, batchSize: 1024, learningRate: 3e-3, patience: 3)
        training.seed = seed
        return BaselineEvaluation.twoTower(dataset, interactions: interactions, userCount: userCount, itemCount: itemCount, itemBags: bags,
                                           objective: objective, temperature: temperature, training: training, negatives: negatives, sampling: sampling, seed: seed,
                                           onEvent: { progress.handle($0, metric: "val HR@10") })
    }

    struct CTRScore: Codable {
        var model: String
        var folder: String
        var auc: Double
        var logLoss: Double
    }

    /// Scores each saved CTR model (and, with several, the mean of their logits) on a libfm file.
    func scoreCTRModels(on libfm: String) throws {
        let models = try model.map { try SavedCTRModel(directory: URL(fileURLWithPath: $0, isDirectory: true)) }
        let data = try LibFMReader.read(URL(fileURLWithPath: libfm), vocabularySize: models.map(\.vocabularySize).min())
        print("\(libfm): \(data.count) examples, \(data.fieldCount) fields, \(String(format: "%.1f", 100 * data.positiveRate))% positive; products in \(precision.rawValue)\n")
        var scores: [CTRScore] = [], logits: [[Float]] = []
        for (saved, folder) in zip(models, model) {
            guard saved.fieldCount == data.fieldCount else {
                throw CommandFailure("\(libfm) has \(data.fieldCount) fields per example, but the '\(saved.name)' model in \(folder) reads \(saved.fieldCount)")
            }
            logits.append(CTRTraining.logits(saved.model, on: data, precision: precision))
            let e = CTRTraining.evaluate(probabilities: logits.last!.map(CTRTraining.sigmoid), labels: data.labels)
            scores.append(CTRScore(model: "\(saved.name) (\(saved.version))", folder: folder, auc: e.auc, logLoss: e.logLoss))
        }
        if models.count > 1 {
            let e = CTRTraining.evaluate(probabilities: CTRTraining.meanLogits(logits).map(CTRTraining.sigmoid), labels: data.labels)
            scores.append(CTRScore(model: "ensemble (mean logit)", folder: "", auc: e.auc, logLoss: e.logLoss))
        }
        print("| model | folder | AUC | log loss |\n|---|---|---:|---:|")
        for s in scores { print(String(format: "| %@ | %@ | %.4f | %.4f |", s.model, s.folder, s.auc, s.logLoss)) }
        if let json { try writeJSON(scores, to: json) }
    }

    func evaluateFeed(on store: any Store) async throws {
        let data = try await FeedModels.read(store)
        let start = Date()
        let configuration = try ConfigurationFile.pipeline(at: config)
        if arms { return try await evaluateArms(data, configuration: configuration, started: start) }
        let r = try await FeedEvaluation.run(data, configuration: configuration, holdoutSeconds: holdoutDays * 86_400,
                                             n: n, sampleUsers: users, trainModels: !noTrain, split: splitOut.map { folder in
            { split in try Self.write(split, to: URL(fileURLWithPath: folder, isDirectory: true)) }
        })
        print(String(format: "%d users, %d held-out actions over the last %g days; ranked by %@ (%.0f s)\n",
                     r.users, r.heldOutActions, holdoutDays, r.ranker, Date().timeIntervalSince(start)))
        print("| list | Recall@\(n) | NDCG@\(n) | HR@\(n) |\n|---|---:|---:|---:|")
        print(String(format: "| feed | %.4f | %.4f | %.4f |\n| popular | %.4f | %.4f | %.4f |", r.feedRecall, r.feedNDCG, r.feedHitRate,
                     r.popularRecall, r.popularNDCG, r.popularHitRate))
        print(String(format: "\nfeed diversity (reranker %@): intra-list similarity %.4f, %.2f leaf categories per feed", r.reranker, r.intraListSimilarity,
                     r.leafCategoriesPerFeed))
        print("\n| candidates | recall (up to the quota) | Recall@\(n) | NDCG@\(n) |\n|---|---:|---:|---:|")
        for (channel, recall) in r.channelRecall.sorted(by: { $0.value > $1.value }) {
            print(String(format: "| %@ | %.4f | %.4f | %.4f |", channel, recall, r.channelRecallAtN[channel] ?? 0, r.channelNDCGAtN[channel] ?? 0))
        }
        print(String(format: "| all, merged | %.4f | | |", r.candidateRecall))
        if let json { try writeJSON(r, to: json) }
    }

    /// The split as two CSV files with a header each: train.csv (user, item, timestamp in
    /// Unix seconds) and test.csv (user, item).
    static func write(_ split: FeedEvaluation.Split, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let train = try CSVWriter(url: folder.appendingPathComponent("train.csv"), header: ["user", "item", "timestamp"])
        for e in split.training { try train.write([e.userID, e.itemID, String(Int(e.timestamp.timeIntervalSince1970))]) }
        try train.close()
        let test = try CSVWriter(url: folder.appendingPathComponent("test.csv"), header: ["user", "item"])
        for (user, items) in split.heldOut { for item in items.sorted() { try test.write([user, item]) } }
        try test.close()
    }

    struct ArmReport: Encodable {
        var arm: String
        var report: FeedEvaluation.Report
    }

    func evaluateArms(_ data: StoreSnapshot, configuration: PipelineConfiguration, started: Date) async throws {
        guard let config else { throw ValidationError("--arms needs --config, a funnel.toml with [experiments]") }
        let plan = try ConfigurationFile.load(URL(fileURLWithPath: config)).experimentPlan()
        let variants = plan.plan.experiments.flatMap { experiment in
            experiment.arms.map { ("\(experiment.name)/\($0.name)", plan.overrides[experiment.name]?[$0.name] ?? PipelineOverrides()) }
        }
        guard !variants.isEmpty else { throw ValidationError("\(config) has no [experiments] to evaluate the arms of") }
        let reports = try await FeedEvaluation.run(data, configuration: configuration, variants: variants, holdoutSeconds: holdoutDays * 86_400,
                                                   n: n, sampleUsers: users, trainModels: !noTrain)
        let first = reports[0].report
        print(String(format: "%d users, %d held-out actions over the last %g days; ranked by %@ (%.0f s)\n",
                     first.users, first.heldOutActions, holdoutDays, first.ranker, Date().timeIntervalSince(started)))
        print("| arm | reranker | Recall@\(n) | HR@\(n) | intra-list similarity | leaf categories per feed |\n|---|---|---:|---:|---:|---:|")
        for (arm, r) in reports {
            print(String(format: "| %@ | %@ | %.4f | %.4f | %.4f | %.2f |", arm, r.reranker, r.feedRecall, r.feedHitRate, r.intraListSimilarity, r.leafCategoriesPerFeed))
        }
        if let json { try writeJSON(reports.map { ArmReport(arm: $0.name, report: $0.report) }, to: json) }
    }
}

extension EvaluationDataset: ExpressibleByArgument {}
extension SampledRanking.Sampling: ExpressibleByArgument {}

extension Precision: ExpressibleByArgument {}
