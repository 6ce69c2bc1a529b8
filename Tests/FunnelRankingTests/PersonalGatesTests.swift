import Foundation
import FunnelRanking
import FunnelStages
import FunnelTensor
import Testing

/// The multi-task ranker's personal gates (PPNet): gradients against central differences,
/// serving and the artifact against the graph, and settings refused by name.
@Suite struct PersonalGatesTests {
    static let names = ["user:a", "user:b", "item:x", "item:y", "channel-count", "id:item", "id:user"]

    /// Rows whose click flips with the user: user:a's sign times item:x, plus item:y.
    static func examples(rows: Int = 3_000, seed: UInt64 = 3) throws -> RankingExamples {
        var generator = SeededGenerator(seed: seed)
        var features: [Float] = [], clicks: [Float] = [], users: [String] = []
        let people = (0..<60).map { _ in (Float.random(in: -1...1, using: &generator), Float.random(in: -1...1, using: &generator)) }
        for _ in 0..<rows {
            let u = Int.random(in: 0..<people.count, using: &generator), item = Int.random(in: 0..<400, using: &generator)
            let (x, y) = (Float.random(in: -1...1, using: &generator), Float.random(in: -1...1, using: &generator))
            features += [people[u].0, people[u].1, x, y, Float(Int.random(in: 0...3, using: &generator)), Float(100 + item), Float(9_000 + u)]
            let z = 3 * (people[u].0 > 0 ? x : -x) + y - 0.5
            clicks.append(Float.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-z)) ? 1 : 0)
            users.append("u\(u)")
        }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return try RankingExamples(featureNames: names, features: features, labels: [.click: clicks, .like: clicks.map { 1 - $0 }],
                                   users: users, window: TrainingWindow(from: start, until: start + 86_400))
    }

    static func configuration(_ architecture: MultiTaskRanker.Architecture, epochs: Int = 3) -> MultiTaskRanker.Configuration {
        var c = MultiTaskRanker.Configuration(architecture: architecture)
        (c.training.epochs, c.personalGateUnits) = (epochs, 16)
        var ids = MultiTaskRanker.IDEmbedding()
        ids.minCount = 2
        c.idEmbedding = ids
        return c
    }

    /// Every parameter's gradient, the gates' and the user id's rows included, against central
    /// differences of the summed logits, through two gated hidden layers.
    @Test func gradientsMatchCentralDifferences() {
        var c = Self.configuration(.mmoe)
        (c.expertUnits, c.towerUnits, c.experts) = ([4, 3], [2], 2)
        c.idEmbedding!.dimension = 3
        c.idEmbedding!.l2 = 0
        var generator = SeededGenerator(seed: 29)
        let personal = MultiTaskNetwork.PersonalGates(columns: [0, 2], idColumn: 1, hiddenUnits: 3)
        let network = MultiTaskNetwork(input: 3, tasks: 2, c, idRows: 8, idColumns: 2, personal: personal, generator: &generator)
        let slots: [Int32] = [1, 5, 2, 6, 3, 5]
        expectMultiTaskGradientsMatch(network, x: Tensor(shape: [3, 3], scalars: [0.5, -1, 0.3, 0.2, 0.3, -0.8, -0.7, 1.1, 0.4]), slots: slots)
    }

    /// Serving (standardisation folded, the gates reading raw features standardised) and the
    /// loaded artifact give the graph's logits, for mixed rows and for one user's rows, whose
    /// gates run once.
    @Test(arguments: MultiTaskRanker.Architecture.allCases)
    func servingAndTheArtifactAgreeWithTheGraph(_ architecture: MultiTaskRanker.Architecture) throws {
        let examples = try Self.examples()
        let (ranker, report) = try MultiTaskRanker.train(on: examples, configuration: Self.configuration(architecture))
        let loaded = try MultiTaskRanker(saved: try ranker.saved(version: "1", report: report, window: examples.window))
        #expect(loaded.configuration.personalGateUnits == 16)
        let width = examples.width
        let mixed = Array(examples.features.prefix(width * 40))
        var request = mixed
        for r in 1..<40 { for c in [0, 1, 6] { request[r * width + c] = request[c] } }
        expectServingMatchesGraph(ranker, [loaded], width: width, batches: [mixed, request])
    }

    @Test func settingsAndFeaturesAreCheckedByName() throws {
        var settings = ModelSettings()
        settings.personalGateUnits = -1
        let error = #expect(throws: StageError.self) { try MultiTaskRanker.configuration(.init(), applying: settings) }
        #expect(error?.description.contains("personalGateUnits") == true)
        settings.personalGateUnits = 0
        #expect(try MultiTaskRanker.configuration(.init(), applying: settings).personalGateUnits == nil)
        settings.personalGateUnits = 32
        #expect(try MultiTaskRanker.configuration(.init(), applying: settings).personalGateUnits == 32)
        #expect(throws: StageError.self) { try LogisticRanker.configuration(LogisticRanker.defaultConfiguration, applying: settings) }
        #expect(throws: StageError.self) { try ThreeTowerRanker.configuration(ThreeTowerRanker.defaultConfiguration, applying: settings) }

        let examples = try Self.examples(rows: 400).keeping { !$0.hasPrefix("user:") && $0 != "id:user" }
        let refused = #expect(throws: StageError.self) { try MultiTaskRanker.train(on: examples, configuration: Self.configuration(.mmoe, epochs: 1)) }
        #expect(refused?.description.contains("personal gates read the user's columns") == true, "\(String(describing: refused))")
    }
}
