import ArgumentParser
import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor

/// The main job for now: DCN-v2 trained on Frappe, saved, reloaded, and used to rank apps.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train DCN-v2 on Frappe, report validation AUC and log loss, save the model and rank apps for a sample context."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Maximum epochs (training stops early when validation AUC stalls).")
    var epochs: Int = 100

    @Option(help: "Where to save the trained model.")
    var output: String = "runs/dcn-v2-frappe"

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    func run() async throws {
        global.apply()
        let directory = global.dataRoot.appendingPathComponent("frappe", isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("frappe.train.libfm").path) else {
            throw ValidationError("Frappe not found in \(directory.path); pass --data or set FUNNEL_DATA to the datasets folder")
        }
        print("Loading Frappe from \(directory.path)…")
        let frappe = try Frappe.load(from: directory)
        print("train \(frappe.train.count) examples (\(String(format: "%.1f", 100 * frappe.train.positiveRate))% positive), validation \(frappe.validation.count)")

        let configuration = DCNv2.Configuration(fieldCount: frappe.train.fieldCount, vocabularySize: Frappe.vocabularySize)
        let model = DCNv2(configuration)
        print("DCN-v2: \(model.parameterCount) parameters, \(global.threads) thread(s)")
        let training = TrainingConfiguration(epochs: epochs, batchSize: 4096, learningRate: 1e-3)
        let progress = Progress(label: "dcn-v2")
        let history = CTRTraining.fit(model, train: frappe.train, validation: frappe.validation, configuration: training) {
            progress.handle($0, metric: "val AUC")
        }
        let result = CTRTraining.evaluate(model, on: frappe.validation)
        print(String(format: "best epoch %d: validation AUC %.4f, log loss %.4f", history.bestEpoch ?? 0, result.auc, result.logLoss))

        let url = URL(fileURLWithPath: output, isDirectory: true)
        try ModelArtifact.save(model, model: "dcn-v2", version: "frappe-\(history.bestEpoch ?? 0)", configuration: configuration,
                               metrics: ["validation_auc": result.auc, "validation_logloss": result.logLoss], to: url)
        let reloaded = DCNv2(configuration)
        try ModelArtifact.loadWeights(into: reloaded, from: url)
        let check = CTRTraining.evaluate(reloaded, on: frappe.validation)
        print(String(format: "saved to %@ (reloaded: AUC %.4f)", url.path, check.auc))

        showRecommendations(model, frappe)
    }

    /// Ranks every app for the context of the first validation example.
    private func showRecommendations(_ model: DCNv2, _ frappe: Frappe) {
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
