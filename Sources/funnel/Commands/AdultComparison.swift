import ArgumentParser
import Foundation
import FunnelData
import FunnelEval
import FunnelRanking
import FunnelTensor

/// MMoE against shared bottom and one model per task on UCI Adult's two tasks (income > 50K,
/// never married), as Ma et al. (2018) compare them on census data: one split (seeded), test
/// AUC per task over several training seeds, each model early-stopped on validation AUC.
struct AdultComparison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adult",
        abstract: "MMoE, shared bottom and single-task models on UCI Adult's two tasks: test AUC over seeds."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Training seeds.")
    var seeds = 5

    @Option(help: "Seed of the train/validation/test split.")
    var splitSeed: UInt64 = 0

    @Option(help: "Experts of the MMoE model.")
    var experts = 4

    @Option(help: "Hidden units of each expert and of the shared bottom, comma-separated.")
    var units = "64,32"

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    struct Result: Codable {
        var model: String
        var parameters: Int
        var seed: UInt64
        var epochs: Int
        var seconds: Double
        var testAUC: [String: Double]
    }

    var hiddenUnits: [Int] { units.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        guard experts >= 2 else { throw ValidationError("--experts must be at least 2, got \(experts)") }
        guard !hiddenUnits.isEmpty, hiddenUnits.count == units.split(separator: ",").count, hiddenUnits.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--units must be positive integers separated by commas, got '\(units)'")
        }
    }

    func run() async throws {
        global.apply()
        let directory = global.dataRoot.appendingPathComponent("adult", isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("adult.csv").path) else {
            throw ValidationError("UCI Adult not found in \(directory.path); pass --data or set FUNNEL_DATA to the datasets folder")
        }
        let adult = try Adult.load(from: directory)
        // A third for test (the size of the original test release), a tenth of the rest to validate.
        var generator = SeededGenerator(seed: splitSeed)
        let order = Array(0..<adult.count).shuffled(using: &generator)
        let testCount = adult.count / 3, validationCount = (adult.count - testCount) / 10
        let test = Array(order[..<testCount])
        let validation = Array(order[testCount..<(testCount + validationCount)])
        let training = Array(order[(testCount + validationCount)...])
        let tasks = [MultiTaskTarget(name: "income>50K", outcomes: adult.highIncome),
                     MultiTaskTarget(name: "never-married", outcomes: adult.neverMarried)]
        func rate(_ labels: [Float]) -> Double { Double(labels.reduce(0, +)) / Double(labels.count) }
        print(String(format: "UCI Adult: %d people, %d features; train %d, validation %d, test %d; positives: income>50K %.1f%%, never-married %.1f%%",
                     adult.count, adult.width, training.count, validation.count, test.count, 100 * rate(adult.highIncome), 100 * rate(adult.neverMarried)))

        func configuration(_ architecture: MultiTaskRanker.Architecture, seed: UInt64) -> MultiTaskRanker.Configuration {
            var c = MultiTaskRanker.Configuration(architecture: architecture)
            (c.experts, c.expertUnits, c.towerUnits) = (experts, hiddenUnits, [16])
            (c.training.epochs, c.training.batchSize, c.training.learningRate, c.training.patience, c.training.seed) = (50, 256, 1e-3, 3, seed)
            return c
        }
        func train(_ name: String, _ architecture: MultiTaskRanker.Architecture, _ chosen: [MultiTaskTarget], seed: UInt64) -> Result {
            let start = Date()
            let fit = MultiTaskNetwork.fit(features: adult.features, width: adult.width, trainingRows: training, validationRows: validation,
                                           tasks: chosen, configuration: configuration(architecture, seed: seed))
            let scores = fit.logits(adult.features, rows: test)
            let aucs = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { k, task in
                (task.name, Metrics.auc(scores: scores[k], labels: test.map { task.outcomes[$0] }))
            })
            return Result(model: name, parameters: fit.network.parameterCount, seed: seed, epochs: fit.history.epochs.count,
                          seconds: Date().timeIntervalSince(start), testAUC: aucs)
        }

        var results: [Result] = []
        for seed in 1...UInt64(seeds) {
            var single = [train("single-task", .sharedBottom, [tasks[0]], seed: seed), train("single-task", .sharedBottom, [tasks[1]], seed: seed)]
            single[0].testAUC.merge(single[1].testAUC) { first, _ in first }
            (single[0].parameters, single[0].epochs, single[0].seconds) =
                (single[0].parameters + single[1].parameters, max(single[0].epochs, single[1].epochs), single[0].seconds + single[1].seconds)
            let round = [single[0], train("shared-bottom", .sharedBottom, tasks, seed: seed), train("mmoe", .mmoe, tasks, seed: seed)]
            for r in round {
                print(String(format: "seed %d  %-13@ income>50K %.4f  never-married %.4f  (%d epochs, %.1f s)",
                             seed, r.model, r.testAUC["income>50K"]!, r.testAUC["never-married"]!, r.epochs, r.seconds))
            }
            results += round
        }

        print("\n| model | parameters | income>50K test AUC | never-married test AUC |\n|---|---:|---:|---:|")
        for model in ["single-task", "shared-bottom", "mmoe"] {
            let runs = results.filter { $0.model == model }
            print("| \(model) | \(runs[0].parameters) | \(meanAndDeviation(runs.map { $0.testAUC["income>50K"]! })) | \(meanAndDeviation(runs.map { $0.testAUC["never-married"]! })) |")
        }
        print("(mean ± standard deviation over \(seeds) seeds; \(global.threads) thread(s); BLAS: \(BLASLibrary.shared.summary))")
        if let json { try writeJSON(results, to: json) }
    }
}
