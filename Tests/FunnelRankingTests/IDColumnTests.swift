import Foundation
import FunnelRanking
import FunnelStages
import FunnelTensor
import FunnelTesting
import Testing

/// Id columns: the vocabulary's rows by hand, a ranker that learns from ids what the dense
/// features cannot tell it, the serving path against the graph, and the artifact.
@Suite struct IDColumnTests {
    @Test func frequentIDsGetRowsOfTheirOwnAndTheRestShareHashedOnes() {
        let codes: [Float] = [5, 5, 5, 7, 9, 9, 9, 0, 0, 0, 11]
        let vocabulary = IDVocabulary(fitting: codes, width: 1, column: 0, rows: codes.indices, minCount: 3, buckets: 4, offset: 10)
        #expect(vocabulary.frequent == [5, 9])
        #expect(vocabulary.rowCount == 1 + 2 + 4)
        #expect(vocabulary.row(of: 0) == 10)
        #expect(vocabulary.row(of: 5) == 11 && vocabulary.row(of: 9) == 12)
        // 7 and the unseen 11 and 15 share the rows 13 + code mod 4.
        #expect(vocabulary.row(of: 7) == 13 + 3 && vocabulary.row(of: 11) == 13 + 3 && vocabulary.row(of: 16) == 13)
        // Not a code: read as missing.
        for bad: Float in [-1, 0.5, 16_777_216, .nan, .infinity] { #expect(vocabulary.row(of: bad) == 10, "\(bad)") }
    }

    /// Thousands of frequent codes, random ones and a run of consecutive ones (which a
    /// multiplicative hash must spread): each finds its own row, and every other code its bucket.
    @Test func everyFrequentIDFindsItsOwnRowAmongThousands() {
        var generator = SeededGenerator(seed: 5)
        let random = (0..<5_000).map { _ in Float(UInt32.random(in: 1..<16_777_216, using: &generator)) }
        let frequent = Array(Set(random + (1...4_096).map { Float($0 * 64) })).sorted()
        let vocabulary = IDVocabulary(frequent: frequent, buckets: 7, offset: 3)
        let misplaced = frequent.indices.filter { vocabulary.row(of: frequent[$0]) != Int32(4 + $0) }
        #expect(misplaced.isEmpty, "\(misplaced.count) frequent codes off their rows")
        let known = Set(frequent)
        let others = (0..<5_000).map { _ in Float(UInt32.random(in: 1..<16_777_216, using: &generator)) }.filter { !known.contains($0) }
        let shared = Int32(4 + frequent.count)
        #expect(others.allSatisfy { vocabulary.row(of: $0) == shared + Int32(UInt32($0) % 7) })
    }

    /// Clicks depend on the item alone (a hidden propensity per item) and on one dense feature;
    /// items seen three times or fewer share rows. Learning from the id column lifts AUC well
    /// above what the dense feature alone reaches.
    static func itemExamples(rows: Int = 12_000) throws -> RankingExamples {
        var generator = SeededGenerator(seed: 31)
        let items = 300
        let propensity = (0..<items).map { _ in Float.random(in: -2.5...2.5, using: &generator) }
        var features: [Float] = [], clicks: [Float] = []
        for _ in 0..<rows {
            // A few popular items and a long tail.
            let item = min(items - 1, Int(Float(items) * pow(Float.random(in: 0..<1, using: &generator), 2)))
            let dense = Float.random(in: -1...1, using: &generator)
            features += [dense, Float(1000 + item * 7)]
            let z = propensity[item] + dense - 1
            clicks.append(Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-z)) ? 1 : 0)
        }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return try RankingExamples(featureNames: ["dense", "id:item"], features: features, labels: [.click: clicks],
                                   users: (0..<rows).map { "u\($0 % 200)" }, window: TrainingWindow(from: start, until: start + 86_400))
    }

    @Test func anIDColumnTeachesWhatTheDenseFeaturesCannot() throws {
        let examples = try Self.itemExamples()
        var configuration = MultiTaskRanker.Configuration()
        configuration.training.epochs = 8
        let (withIDs, report) = try MultiTaskRanker.train(on: examples, configuration: configuration)
        let (without, baseline) = try MultiTaskRanker.train(on: try examples.withoutIDColumns, configuration: configuration)
        #expect(withIDs.featureNames == ["dense", "id:item"] && without.featureNames == ["dense"])
        let auc = report.metrics["click.auc"]!, denseOnly = baseline.metrics["click.auc"]!
        #expect(auc > denseOnly + 0.1, "with the id column \(auc), without \(denseOnly)")
        // The linear ranker reads quantities only: it leaves the id column out.
        let (linear, _) = try LogisticRanker.train(on: examples, configuration: LogisticRanker.defaultConfiguration)
        #expect(linear.featureNames == ["dense"])
    }

    /// Serving (an embedding per row gathered beside the raw features) gives the graph's logits,
    /// for known, rare, unseen and missing ids, and the artifact gives them back.
    @Test(arguments: MultiTaskRanker.Architecture.allCases)
    func servingAndTheArtifactAgreeWithTheGraph(_ architecture: MultiTaskRanker.Architecture) throws {
        let examples = try Self.itemExamples(rows: 3_000)
        var configuration = MultiTaskRanker.Configuration(architecture: architecture)
        configuration.training.epochs = 2
        let (ranker, report) = try MultiTaskRanker.train(on: examples, configuration: configuration)
        var features = Array(examples.features.prefix(2 * 40))
        features += [0.3, 1000, 0.3, 999_999, 0.3, 0]
        let batch = RankingBatch(width: 2, features: features)
        let expected = ranker.logits(batch, in: Graph(mode: .inference)).value.scalars
        let loaded = try MultiTaskRanker(saved: try ranker.saved(version: "1", report: report, window: examples.window))
        for model in [ranker, loaded] {
            let forward = Workspace.borrow { model.logits(batch, in: $0).scalars }
            let worst = zip(forward, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            #expect(forward.count == expected.count && worst <= 1e-5, "largest relative difference \(worst)")
        }
    }

    @Test func anArtifactWithoutItsVocabularyIsRefusedByName() throws {
        var configuration = MultiTaskRanker.Configuration()
        configuration.training.epochs = 1
        let examples = try Self.itemExamples(rows: 1_000)
        let (ranker, _) = try MultiTaskRanker.train(on: examples, configuration: configuration)
        let saved = try ranker.saved(version: "1", report: nil, window: nil)
        var tensors = try SafeTensors.decode(saved.weights).tensors
        tensors["vocabulary.0"] = nil
        let damaged = SavedModel(manifest: saved.manifest, weights: try SafeTensors.encode(tensors))
        let error = #expect(throws: (any Error).self) { try MultiTaskRanker(saved: damaged) }
        #expect(error.map { String(describing: $0) }?.contains("vocabulary.0") == true, "\(String(describing: error))")
    }

    @Test(arguments: [("idDimension", 0), ("idBuckets", -3), ("idMinCount", 2_000_000)])
    func idSettingsOutOfRangeAreRefusedByName(_ field: String, _ value: Int) throws {
        var settings = ModelSettings()
        switch field {
        case "idDimension": settings.idDimension = value
        case "idBuckets": settings.idBuckets = value
        default: settings.idMinCount = value
        }
        let error = #expect(throws: StageError.self) { try MultiTaskRanker.configuration(.init(), applying: settings) }
        #expect(error?.description.contains(field) == true)
        var linear = ModelSettings()
        linear.idDimension = 4
        #expect(throws: StageError.self) { try LogisticRanker.configuration(LogisticRanker.defaultConfiguration, applying: linear) }
    }
}
