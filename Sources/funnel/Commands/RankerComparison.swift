import ArgumentParser
import Foundation
import FunnelEval
import FunnelPipeline
import FunnelRanking
import FunnelServer
import FunnelStages
import FunnelStore
import FunnelTensor

/// Every ranker trained on the same examples from a store's log (the exposures and outcomes
/// `funnel train ranker` uses, the latest fifth validating), each as `[pipeline.models]`
/// configures it: per objective AUC and GAUC of the logistic regression, shared bottom, MMoE
/// and one model per objective (shared bottom's settings, one objective); then the click
/// calibration of MMoE trained on all rows and on negatives down-sampled, with and without
/// the correction.
struct RankerComparison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rankers",
        abstract: "Train every ranker on a store's logged exposures: per-objective AUC and GAUC, and click calibration under negative down-sampling."
    )

    @Option(help: "The store whose log the rankers learn from.")
    var store: String

    @Option(help: "A funnel.toml whose [pipeline] table configures the feed the examples come from.")
    var config: String?

    @Option(help: "Keep rate of unclicked exposures for the down-sampled MMoE.")
    var keepRate: Float = 0.1

    @Option(help: "Validate on the exposures of the examples' last this many days (default: their last fifth).")
    var holdoutDays: Double?

    @Option(help: "How many of the latest logged exposures make the examples (default: [pipeline] trainingExposures).")
    var exposures: Int?

    @Flag(help: "Skip the single-objective models (one per objective).")
    var noSingleTask = false

    @Option(help: "Write the results as JSON to this file (for Benchmarks/plot_calibration.py).")
    var json: String?

    @Flag(help: "Compare behaviour sequences instead: MMoE without one, with the mean of the last actions (LastN), with DIN's attention, with the category sequence searched in the long history (SIM) and with DIN and SIM, on the same examples (the features gain the ids, sequence and categorySequence groups).")
    var sequences = false

    @OptionGroup var global: GlobalOptions

    struct ModelResult: Codable {
        var model: String
        var seconds: Double
        var trainingRows: Int
        var metrics: [String: Double]
    }

    struct CalibrationResult: Codable {
        var model: String
        var calibration: Calibration
    }

    struct Results: Codable {
        var examples: Int
        var validation: Int
        var keepRate: Float
        var models: [ModelResult]
        var calibration: [CalibrationResult]
    }

    func validate() throws {
        guard keepRate > 0, keepRate < 1 else { throw ValidationError("--keep-rate must be in (0, 1), got \(keepRate)") }
        if let holdoutDays, !(holdoutDays > 0 && holdoutDays.isFinite) { throw ValidationError("--holdout-days must be a positive number, got \(holdoutDays)") }
        if let exposures, exposures < 100 { throw ValidationError("--exposures must be at least 100, got \(exposures)") }
    }

    func run() async throws {
        global.apply()
        let opened = try await StoreLocation.open(store)
        var configuration = try ConfigurationFile.pipeline(at: config)
        if let exposures { configuration.trainingExposures = exposures }
        if sequences {
            for group in [FeatureSpec.Group.ids, .sequence, .categorySequence] where !configuration.features.has(group) { configuration.features.groups.append(group) }
        }
        let data = try await FeedModels.read(opened)
        let twoTower = try await PipelineLoader.latestTwoTower(opened)
        let examples = try await RankerTraining.rankingExamples(items: data.items, users: data.users,
                                                                events: data.events, configuration: configuration,
                                                                twoTower: twoTower.map { ($0.model, $0.features) },
                                                                holdout: holdoutDays.map { $0 * 86_400 })
        let validationRows = examples.validationRows
        print("\(examples.count) exposures (\(validationRows.count) validate), \(examples.width) features; positive rates: "
            + Objective.allCases.compactMap { objective in
                examples.labels[objective].map { labels in
                    String(format: "%@ %.2f%%", objective.rawValue, 100 * Double(labels.filter { $0 > 0 }.count) / Double(labels.count))
                }
            }.joined(separator: ", "))

        var models: [ModelResult] = []
        func record(_ name: String, _ train: () throws -> TrainingReport) rethrows {
            let start = Date()
            let report = try train()
            let result = ModelResult(model: name, seconds: Date().timeIntervalSince(start),
                                     trainingRows: Int(report.metrics["training.rows"] ?? Double(examples.trainingRows.count)), metrics: report.metrics)
            print(String(format: "%@: %.1f s, %d epochs, click AUC %.4f", name, result.seconds, report.epochs, report.metrics["click.auc"] ?? .nan))
            models.append(result)
        }
        // Each multi-task model as `[pipeline.models.<name>]` configures it.
        func configured(_ architecture: MultiTaskRanker.Architecture) throws -> MultiTaskRanker.Configuration {
            let base = MultiTaskRanker.Configuration(architecture: architecture)
            return try configuration.models[architecture.rawValue].map { try MultiTaskRanker.configuration(base, applying: $0) } ?? base
        }
        if sequences {
            let variants: [(String, DIN.Pooling, (String) -> Bool)] = [
                ("mmoe, no sequence", .none, { _ in true }),
                ("mmoe + LastN mean", .mean, { !RankingExamples.isCategorySequenceColumn($0) }),
                ("mmoe + DIN", .attention, { !RankingExamples.isCategorySequenceColumn($0) }),
                ("mmoe + SIM", .attention, { !RankingExamples.isHistoryColumn($0) }),
                ("mmoe + DIN + SIM", .attention, { _ in true }),
            ]
            for (name, pooling, columns) in variants {
                var c = try configured(.mmoe)
                var sequence = c.sequence ?? MultiTaskRanker.BehaviourSequence()
                sequence.pooling = pooling
                c.sequence = sequence
                try record(name) { try MultiTaskRanker.train(on: examples.keeping(columns), configuration: c).1 }
            }
            printTable(models)
            let spec = configuration.features
            print("(behaviour sequence \(spec.sequenceLength) steps; category sequence \(spec.categorySequenceLength) steps searched in \(spec.longHistoryLength) actions; "
                + "\(global.threads) thread(s); BLAS: \(BLASLibrary.shared.summary))")
            return
        }
        try record("logistic-regression") { try StageRegistry.standard.ranker(named: "logistic-regression").train!(examples, configuration.models["logistic-regression"]).report }
        try record("shared-bottom") { try MultiTaskRanker.train(on: examples, configuration: configured(.sharedBottom)).1 }
        var mmoe: MultiTaskRanker?
        try record("mmoe") {
            let (model, report) = try MultiTaskRanker.train(on: examples, configuration: configured(.mmoe))
            mmoe = model
            return report
        }
        if !noSingleTask {
            var merged: [String: Double] = [:]
            let start = Date()
            for objective in mmoe!.objectives {
                var c = try configured(.sharedBottom)
                c.objectives = [objective]
                merged.merge(try MultiTaskRanker.train(on: examples, configuration: c).1.metrics) { first, _ in first }
            }
            merged["training.rows"] = nil
            models.append(ModelResult(model: "single-task", seconds: Date().timeIntervalSince(start), trainingRows: examples.trainingRows.count, metrics: merged))
            print(String(format: "single-task (one per objective): %.1f s", models.last!.seconds))
        }
        var sampledConfiguration = try configured(.mmoe)
        sampledConfiguration.negativeSampling = NegativeSampling(keepRate: keepRate)
        var sampled: MultiTaskRanker?
        let sampledName = String(format: "mmoe, clicks down-sampled a=%g", keepRate)
        try record(sampledName) {
            let (model, report) = try MultiTaskRanker.train(on: examples, configuration: sampledConfiguration)
            sampled = model
            return report
        }

        // Click calibration on the validation rows (every row: validation is never sampled).
        let clicks = Array(examples.labels[.click]![validationRows])
        let batch = examples.validationBatch
        let full = mmoe!.predict(batch).column(.click)!.map(Float.init)
        let corrected = sampled!.predict(batch).column(.click)!.map(Float.init)
        let shift = log(keepRate)
        let uncorrected = corrected.map { p in 1 / (1 + exp(-(log(p / (1 - p)) - shift))) }
        let calibration = [("mmoe, all rows", full), ("\(sampledName), corrected", corrected), ("\(sampledName), uncorrected", uncorrected)]
            .map { CalibrationResult(model: $0.0, calibration: Calibration(probabilities: $0.1, labels: clicks)) }

        printTable(models)

        let observed = Double(clicks.reduce(0, +)) / Double(clicks.count)
        print(String(format: "\nClick calibration on the %d validation rows (observed rate %.4f), by decile of prediction:", clicks.count, observed))
        print("| decile | " + calibration.map(\.model).joined(separator: " | ") + " |\n|---|" + String(repeating: "---:|", count: calibration.count))
        for d in calibration[0].calibration.bins.indices {
            print("| \(d + 1) | " + calibration.map { c in
                let bin = c.calibration.bins[d]
                return String(format: "%.4f → %.4f", bin.predicted, bin.observed)
            }.joined(separator: " | ") + " |")
        }
        print("| ECE | " + calibration.map { String(format: "%.4f", $0.calibration.expectedError) }.joined(separator: " | ") + " |")
        print("(predicted → observed; \(global.threads) thread(s); BLAS: \(BLASLibrary.shared.summary))")
        if let json {
            try writeJSON(Results(examples: examples.count, validation: validationRows.count, keepRate: keepRate, models: models, calibration: calibration), to: json)
        }
    }

    /// Validation AUC (GAUC) per objective, a column per model, then rows and seconds.
    func printTable(_ models: [ModelResult]) {
        let objectives = Objective.allCases.filter { objective in models.contains { $0.metrics["\(objective.rawValue).auc"] != nil } }
        print("\nValidation AUC (GAUC) per objective:\n| objective | " + models.map(\.model).joined(separator: " | ") + " |")
        print("|---|" + String(repeating: "---:|", count: models.count))
        for objective in objectives {
            let cells = models.map { m in
                m.metrics["\(objective.rawValue).auc"].map { auc in
                    String(format: "%.4f", auc) + (m.metrics["\(objective.rawValue).gauc"].map { String(format: " (%.4f)", $0) } ?? "")
                } ?? "–"
            }
            print("| \(objective.rawValue) | " + cells.joined(separator: " | ") + " |")
        }
        print("| training rows | " + models.map { "\($0.trainingRows)" }.joined(separator: " | ") + " |")
        print(String(format: "| training seconds | %@ |", models.map { String(format: "%.1f", $0.seconds) }.joined(separator: " | ")))
    }
}
