import ArgumentParser
import Foundation
import FunnelData
import FunnelEval
import FunnelRanking
import FunnelRetrieval
import FunnelTensor

/// The reference models: CTR models trained on Frappe (DCN-v2 by default, or FM, DeepFM, FiBiNet and PPNet;
/// each saved, reloaded, ranking apps for a context) and a two-tower model trained on
/// MovieLens-100K (evaluated against popularity, retrieving movies for a user).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train CTR models on Frappe and a two-tower model on MovieLens-100K; report their quality and show recommendations."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Maximum epochs (training stops early when validation AUC stalls).")
    var epochs: Int = 100

    @Option(help: "Where to save the trained models.")
    var output: String = "runs"

    @Option(help: "Learning rate of the Frappe models (default 1e-3).")
    var learningRate: Float = 1e-3

    @Option(help: "DCN-v2's cross layers as products of two rank-r matrices (default: full rank).")
    var crossRank: Int?

    @Option(help: "Seed of the Frappe models' initial weights and of the order of their training examples.")
    var seed: UInt64 = 2021

    enum ModelName: String, ExpressibleByArgument, CaseIterable { case fm, deepfm, fibinet, ppnet, dcnV2 = "dcn-v2", twoTower = "two-tower" }

    @Option(parsing: .upToNextOption, help: "The models to train, each saved in a folder of its own: \(ModelName.allCases.map(\.rawValue).joined(separator: ", ")) (all but the last on Frappe, the last on MovieLens-100K).")
    var models: [ModelName] = [.dcnV2, .twoTower]

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--learning-rate must be a positive number, got \(learningRate)") }
        if let crossRank, crossRank < 1 { throw ValidationError("--cross-rank must be at least 1, got \(crossRank)") }
    }

    func run() async throws {
        global.apply()
        if models.contains(where: { $0 != .twoTower }) { try rankApps() }
        if models.contains(.twoTower) { try retrieveMovies() }
    }

    /// The Frappe models: train, report, save, reload, rank apps for a context.
    private func rankApps() throws {
        let directory = global.dataRoot.appendingPathComponent("frappe", isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("frappe.train.libfm").path) else {
            throw ValidationError("Frappe not found in \(directory.path); pass --data or set FUNNEL_DATA to the datasets folder")
        }
        print("Loading Frappe from \(directory.path)…")
        let frappe = try Frappe.load(from: directory)
        print("train \(frappe.train.count) examples (\(String(format: "%.1f", 100 * frappe.train.positiveRate))% positive), validation \(frappe.validation.count)")
        let (fields, vocabulary) = (frappe.train.fieldCount, Frappe.vocabularySize)
        var logits: [[Float]] = []
        for name in models {
            switch name {
            case .dcnV2:
                var c = DCNv2.Configuration(fieldCount: fields, vocabularySize: vocabulary)
                c.crossRank = crossRank
                logits.append(try rankApps(frappe, name: "dcn-v2", configuration: c, seed: \.seed, make: DCNv2.init))
            case .deepfm:
                logits.append(try rankApps(frappe, name: "deepfm", configuration: DeepFM.Configuration(fieldCount: fields, vocabularySize: vocabulary),
                                           seed: \.seed, make: DeepFM.init))
            case .fibinet:
                logits.append(try rankApps(frappe, name: "fibinet", configuration: FiBiNet.Configuration(fieldCount: fields, vocabularySize: vocabulary),
                                           seed: \.seed, make: FiBiNet.init))
            case .ppnet:
                logits.append(try rankApps(frappe, name: "ppnet", configuration: PPNet.Configuration(fieldCount: fields, vocabularySize: vocabulary),
                                           seed: \.seed, make: PPNet.init))
            case .fm:
                logits.append(try rankApps(frappe, name: "fm", configuration: .factorizationMachine(fieldCount: fields, vocabularySize: vocabulary),
                                           seed: \.seed, make: DeepFM.init))
            case .twoTower:
                continue
            }
        }
        if logits.count > 1 {
            let e = CTRTraining.evaluate(probabilities: CTRTraining.meanLogits(logits).map(CTRTraining.sigmoid), labels: frappe.validation.labels)
            print(String(format: "\nensemble of the %d models (mean logit): validation AUC %.4f, log loss %.4f", logits.count, e.auc, e.logLoss))
            print("score saved models on any libfm file: funnel eval --model \(output)/<name>-frappe … --libfm FILE")
        }
    }

    /// Trains, reports, saves, reloads and ranks apps with one Frappe model; returns its
    /// validation logits.
    private func rankApps<Model: CTRModel, C: Codable & Sendable>(_ frappe: Frappe, name: String, configuration: C,
                                                                  seed seedPath: WritableKeyPath<C, UInt64>, make: (C) -> Model) throws -> [Float] {
        var configuration = configuration
        configuration[keyPath: seedPath] = seed
        let model = make(configuration)
        print("\n\(name): \(model.parameterCount) parameters, \(global.threads) thread(s)")
        let training = TrainingConfiguration(epochs: epochs, batchSize: 4096, learningRate: learningRate, seed: seed)
        let progress = Progress(label: name)
        let history = CTRTraining.fit(model, train: frappe.train, validation: frappe.validation, configuration: training) {
            progress.handle($0, metric: "val AUC")
        }
        let result = CTRTraining.evaluate(model, on: frappe.validation)
        print(String(format: "best epoch %d: validation AUC %.4f, log loss %.4f", history.bestEpoch ?? 0, result.auc, result.logLoss))

        let url = URL(fileURLWithPath: output, isDirectory: true).appendingPathComponent("\(name)-frappe")
        try ModelArtifact.save(model, model: name, version: "frappe-\(history.bestEpoch ?? 0)", configuration: configuration,
                               metrics: ["validation_auc": result.auc, "validation_logloss": result.logLoss], to: url)
        let reloaded = make(configuration)
        try ModelArtifact.loadWeights(into: reloaded, from: url)
        let check = CTRTraining.evaluate(reloaded, on: frappe.validation)
        print(String(format: "saved to %@ (reloaded: AUC %.4f)", url.path, check.auc))

        showRecommendations(model, frappe)
        return CTRTraining.logits(model, on: frappe.validation)
    }

    /// The two-tower model on MovieLens-100K: leave-last-out, early-stopped on validation HR@10,
    /// compared with popularity on the test items, then the top movies for one user.
    private func retrieveMovies() throws {
        let directory = global.dataRoot.appendingPathComponent("ml-100k", isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("u.data").path) else {
            print("MovieLens-100K not found in \(directory.path); skipping the two-tower model")
            return
        }
        let movieLens = try MovieLens100K.load(from: directory)
        let split = LeaveLastOutSplit(movieLens.ratings.map { .init(user: $0.user, item: $0.item, timestamp: $0.timestamp) },
                                      userCount: movieLens.users.count)
        let users = movieLens.userFeatures(), items = movieLens.itemFeatures()
        let seen = split.trainItems()
        print("\nMovieLens-100K: \(movieLens.ratings.count) ratings, \(users.count) users, \(items.count) movies (leave-last-out)")
        let configuration = TwoTower.Configuration(user: .init(features: users), item: .init(features: items))
        let model = TwoTower(configuration)
        let progress = Progress(label: "two-tower")
        let pairs = split.train.map { (user: $0.user, item: $0.item) }
        TwoTowerTraining.fit(model, pairs: pairs, users: users, items: items,
                             configuration: TrainingConfiguration(epochs: min(epochs, 30), batchSize: 1024, learningRate: 3e-3, patience: 3),
                             validate: {
                                 TwoTowerTraining.evaluate(model, users: users, items: items, targets: split.validation, excluded: seen, ks: [10]).hitRate(at: 10)
                             }, onEvent: { progress.handle($0, metric: "val HR@10") })
        var excluded = seen
        for u in 0..<split.userCount { if let v = split.validation[u] { excluded[u].insert(v) } }
        let test = TwoTowerTraining.evaluate(model, users: users, items: items, targets: split.test, excluded: excluded)
        let popular = Popularity(items: pairs.map(\.item), itemCount: items.count).evaluate(targets: split.test, excluded: excluded)
        print(String(format: "test, full ranking: two-tower HR@10 %.4f NDCG@10 %.4f HR@50 %.4f; popularity HR@10 %.4f NDCG@10 %.4f HR@50 %.4f",
                     test.hitRate(at: 10), test.ndcg(at: 10), test.hitRate(at: 50), popular.hitRate(at: 10), popular.ndcg(at: 10), popular.hitRate(at: 50)))
        try ModelArtifact.save(model, model: "two-tower", version: "movielens-100k", configuration: configuration,
                               metrics: ["test_hr@10": test.hitRate(at: 10), "test_ndcg@10": test.ndcg(at: 10)],
                               to: URL(fileURLWithPath: output, isDirectory: true).appendingPathComponent("two-tower-movielens"))

        let user: Int32 = 0
        let scores = TwoTowerTraining.scores(model, users: users, userRows: [user], itemVectors: TwoTowerTraining.itemVectors(model, items: items))
        let history = split.train.filter { $0.user == user }.sorted { $0.timestamp > $1.timestamp }.prefix(3).map { movieLens.items[Int($0.item)].title }
        print("User \(movieLens.userIDs[Int(user)]) recently rated \(history.joined(separator: "; ")). Top movies not yet rated:")
        let ranked = scores.indices.filter { !seen[Int(user)].contains(Int32($0)) }.sorted { scores[$0] > scores[$1] }
        for (rank, item) in ranked.prefix(5).enumerated() {
            print(String(format: "  %d. %@  (cosine %.3f)", rank + 1, movieLens.items[item].title, Double(scores[item])))
        }
    }

    /// Ranks every app for the context of the first validation example.
    private func showRecommendations(_ model: some CTRModel, _ frappe: Frappe) {
        let fields = frappe.validation.fieldCount
        let context = Array(frappe.validation.ids[0..<fields])
        let itemField = Frappe.fields.firstIndex(of: "item")!
        let items = frappe.features.filter { $0.value.field == "item" }.keys.sorted().map(Int32.init)
        guard !items.isEmpty else { return }
        var ids: [Int32] = []
        ids.reserveCapacity(items.count * fields)
        for item in items {
            var row = context
            row[itemField] = item
            ids.append(contentsOf: row)
        }
        let scores = CTRTraining.predict(model, ids: ids, batch: items.count)
        let described = context.enumerated().filter { $0.offset != itemField }.map { frappe.describe(feature: $0.element) }
        print("Top apps for \(described.joined(separator: ", ")):")
        for (rank, k) in scores.indices.sorted(by: { scores[$0] > scores[$1] }).prefix(5).enumerated() {
            print(String(format: "  %d. %@  (p = %.3f)", rank + 1, frappe.describe(feature: items[k]), Double(scores[k])))
        }
    }
}
