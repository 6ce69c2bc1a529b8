import Foundation
import FunnelRanking
import FunnelStages
import FunnelTensor
import FunnelTesting
import Testing

/// The three-tower pre-ranker: the model contract, gradients against central differences,
/// serving (the shared user tower, the item cache) and the artifact against the graph, the
/// user × item interaction a linear model cannot see, distillation, and settings refused by name.
@Suite struct ThreeTowerRankerTests {
    static let names = ["user:click:1d", "context:hour-sin", "item:click:1d", "profile:item-tag#0", "channel:itemcf", "item:freshness"]

    static func configuration(epochs: Int = 10, distillation: Float = 1) -> ThreeTowerRanker.Configuration {
        var c = ThreeTowerRanker.Configuration()
        (c.userUnits, c.itemUnits, c.crossUnits, c.topUnits) = ([16, 8], [16, 8], [4], [8])
        (c.training.epochs, c.training.batchSize, c.training.learningRate, c.distillation) = (epochs, 256, 1e-2, distillation)
        return c
    }

    @Test func passesTheTrainableRankerContract() throws {
        try TrainableRankerContract.check(ThreeTowerRanker.self, configuration: Self.configuration(), featureNames: Self.names)
        // Columns of no known group go to the cross tower alone.
        try TrainableRankerContract.check(ThreeTowerRanker.self, configuration: Self.configuration())
    }

    /// The feed's columns by group, as `RankingFeatures` names them; id columns left out.
    @Test func columnsGoToTheirTowers() {
        let expected: [(String, ThreeTowerRanker.Side?)] = [
            ("user:click:7d", .user), ("user:exposures:1d", .user), ("profile:user#3", .user), ("profile:user:age", .user),
            ("context:device#2", .user), ("item:click:30d", .item), ("item:log-duration", .item), ("author:follow:7d", .item),
            ("profile:item-tag#1", .item), ("profile:item:price<10", .item), ("item:freshness", .cross), ("item:age<6h", .cross),
            ("item:age>=168h", .cross), ("channel:itemcf", .cross), ("channel-count", .cross), ("interest:leaf-click", .cross),
            ("profile:tag-overlap", .cross), ("id:item", nil), ("id:history:item#0", nil),
        ]
        for (name, side) in expected { #expect(ThreeTowerRanker.side(of: name) == side, "\(name)") }
    }

    @Test func gradientsMatchCentralDifferences() {
        var c = Self.configuration()
        (c.userUnits, c.itemUnits, c.crossUnits, c.topUnits) = ([4, 3], [5, 3], [2], [3])
        var generator = SeededGenerator(seed: 3)
        let network = ThreeTowerNetwork(widths: .init(user: 2, item: 3, cross: 2), tasks: 2, c, generator: &generator)
        let x = Tensor(shape: [3, 7], scalars: (0..<21).map { Float(sin(Double($0) * 1.7)) })
        expectParameterGradientsMatch(network, stride: 1) {
            let graph = Graph(mode: .training)
            graph.backward(network.logits(graph.constant(x)).sum())
        } total: {
            Double(network.logits(Graph(mode: .inference).constant(x)).value.scalars.reduce(0, +))
        }
    }

    /// Clicks that depend on a user column times an item column: the three towers learn it,
    /// the logistic ranker cannot.
    static func interactionExamples(rows: Int = 12_000, seed: UInt64 = 7) throws -> RankingExamples {
        var generator = SeededGenerator(seed: seed)
        var features: [Float] = [], clicks: [Float] = [], teacher: [Float] = []
        for _ in 0..<rows {
            let row = (0..<6).map { _ in Float.random(in: -1...1, using: &generator) }
            let z = 3 * row[0] * row[2] + 0.5 * row[4] - 0.5
            features += row
            teacher.append(1 / (1 + exp(-z)))
            clicks.append(Float.random(in: 0..<1, using: &generator) < teacher.last! ? 1 : 0)
        }
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        var examples = try RankingExamples(featureNames: names, features: features, labels: [.click: clicks],
                                           users: (0..<rows).map { "u\($0 % 300)" }, window: TrainingWindow(from: start, until: start + 86_400))
        examples.teacher = [.click: teacher]
        return examples
    }

    @Test func learnsTheUserItemInteractionALinearModelCannot() throws {
        var examples = try Self.interactionExamples()
        examples.teacher = nil
        let (_, report) = try ThreeTowerRanker.train(on: examples, configuration: Self.configuration())
        let (_, linear) = try LogisticRanker.train(on: examples, configuration: LogisticRanker.defaultConfiguration)
        #expect(report.metrics["click.auc"]! > linear.metrics["click.auc"]! + 0.1, "\(report.metrics) \(linear.metrics)")
        #expect(report.metrics["distilled.objectives"] == 0)
    }

    /// With `distillation` 1 the model follows the teacher even where the log is noise; with 0
    /// it learns the log alone.
    @Test func distillationLearnsTheTeachersScores() throws {
        let taught = try Self.interactionExamples()
        var generator = SeededGenerator(seed: 99)
        let noise = (0..<taught.count).map { _ in Float.random(in: 0..<1, using: &generator) < 0.3 ? Float(1) : 0 }
        var examples = try RankingExamples(featureNames: taught.featureNames, features: taught.features, labels: [.click: noise],
                                           users: taught.users, window: taught.window)
        examples.teacher = taught.teacher
        let teacher = Array(examples.teacher![.click]![examples.validationRows]).map(Double.init)
        var agreement: [Float: Double] = [:]
        for share: Float in [0, 1] {
            let (ranker, report) = try ThreeTowerRanker.train(on: examples, configuration: Self.configuration(distillation: share))
            #expect(report.metrics["distilled.objectives"] == (share > 0 ? 1 : 0))
            agreement[share] = Self.rankCorrelation(ranker.predict(examples.validationBatch).column(.click)!, teacher)
        }
        #expect(agreement[1]! > 0.9 && agreement[0]! < 0.5, "rank correlation with the teacher by share: \(agreement)")
    }

    static func rankCorrelation(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ x: [Double]) -> [Double] {
            var r = [Double](repeating: 0, count: x.count)
            for (rank, i) in x.indices.sorted(by: { x[$0] < x[$1] }).enumerated() { r[i] = Double(rank) }
            return r
        }
        let (ra, rb) = (ranks(a), ranks(b)), mean = Double(a.count - 1) / 2
        let covariance = zip(ra, rb).reduce(0) { $0 + ($1.0 - mean) * ($1.1 - mean) }
        let variance = ra.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return covariance / variance
    }

    /// Serving gives the graph's logits: for mixed rows, for one request's rows (the user tower
    /// run once), through the item cache when it is cold, warm and when an item's features
    /// change, and from the model loaded from its artifact.
    @Test func servingTheCacheAndTheArtifactAgreeWithTheGraph() throws {
        let examples = try Self.interactionExamples(rows: 3_000)
        let (ranker, report) = try ThreeTowerRanker.train(on: examples, configuration: Self.configuration(epochs: 2))
        let width = examples.width
        let mixed = Array(examples.features.prefix(width * 40))
        // A request: every candidate with the first row's user columns, the user and context.
        var request = mixed
        for r in 1..<40 { for c in 0..<2 { request[r * width + c] = request[c] } }
        var changed = request
        changed[5 * width + 2] += 0.25
        let loaded = try ThreeTowerRanker(saved: try ranker.saved(version: "1", report: report, window: examples.window))
        #expect(loaded.featureNames == ranker.featureNames && ranker.featureNames == Self.names)
        for features in [mixed, request, request, changed] {
            let batch = RankingBatch(width: width, features: features)
            let expected = ranker.logits(batch, in: Graph(mode: .inference)).value.scalars
            for model in [ranker, loaded] {
                for cached in [true, false] {
                    let forward = Workspace.borrow { model.logits(batch, cached: cached, in: $0).scalars }
                    let worst = zip(forward, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                    #expect(forward.count == expected.count && worst <= 1e-5, "largest relative difference \(worst)")
                }
            }
        }
        // The mixed rows and the request share their item columns: 40 computed, then found,
        // and the changed item computed once more.
        let cache = try #require(ranker.itemCache)
        #expect(cache.misses == 41 && cache.hits == 4 * 40 - 41 && cache.count == 41, "\(cache.misses) \(cache.hits) \(cache.count)")
    }

    /// The cache returns what the tower computes, computes only what it does not hold, finds
    /// a row added by an earlier call, and starts over rather than grow past its capacity.
    @Test func theCacheHoldsWhatTheTowerComputed() {
        let cache = TowerOutputCache(inputWidth: 3, outputWidth: 2, capacity: 4), scratch = Workspace()
        var computed = 0
        func tower(_ x: Matrix) -> Matrix {
            computed += x.rows
            let out = scratch.matrix(rows: x.rows, columns: 2)
            for r in 0..<x.rows { (out.base[r * 2], out.base[r * 2 + 1]) = (x.base[r * 3] + x.base[r * 3 + 1], x.base[r * 3 + 2] * 2) }
            return out
        }
        func outputs(_ rows: [[Float]]) -> [Float] {
            let x = rows.flatMap { $0 }
            var out = [Float](repeating: .nan, count: rows.count * 2)
            Workspace.borrow { workspace in
                x.withUnsafeBufferPointer { input in
                    out.withUnsafeMutableBufferPointer { o in
                        cache.fill(o.baseAddress!, stride: 2, inputs: input.baseAddress!, stride: 3, rows: rows.count, in: workspace, compute: tower)
                    }
                }
            }
            return out
        }
        #expect(outputs([[1, 2, 3], [4, 5, 6], [1, 2, 3]]) == [3, 6, 9, 12, 3, 6])
        // A row twice in one call is computed twice and kept once.
        #expect(computed == 3 && cache.count == 2 && cache.hits == 0 && cache.misses == 3)
        #expect(outputs([[4, 5, 6], [0, 0, 1]]) == [9, 12, 0, 2])
        #expect(computed == 4 && cache.count == 3 && cache.hits == 1)
        #expect(outputs([[7, 7, 7], [8, 8, 8]]) == [14, 14, 16, 16])
        #expect(computed == 6 && cache.count == 2, "full at 4: started over with the new rows")
        #expect(outputs([[7, 7, 7], [1, 2, 3]]) == [14, 14, 3, 6])
        #expect(computed == 7)
    }

    @Test func settingsAreCheckedByName() throws {
        let base = ThreeTowerRanker.defaultConfiguration
        var settings = ModelSettings()
        (settings.userUnits, settings.itemUnits, settings.crossUnits, settings.topUnits, settings.distillation) = ([8, 4], [6, 4], [2], [], 0.5)
        let c = try ThreeTowerRanker.configuration(base, applying: settings)
        #expect(c.userUnits == [8, 4] && c.itemUnits == [6, 4] && c.crossUnits == [2] && c.topUnits == [] && c.distillation == 0.5)
        let refusals: [(ModelSettings, String)] = [
            ({ var s = ModelSettings(); s.experts = 3; return s }(), "three-tower has no setting 'experts'"),
            ({ var s = ModelSettings(); s.sequencePooling = "mean"; return s }(), "three-tower has no setting 'sequencePooling'"),
            ({ var s = ModelSettings(); s.userUnits = [8, 16]; return s }(), "userUnits and itemUnits must end in the same width"),
            ({ var s = ModelSettings(); s.crossUnits = []; return s }(), "crossUnits must list one or more positive widths"),
            ({ var s = ModelSettings(); s.distillation = 1.5; return s }(), "distillation must be within 0…1"),
        ]
        for (settings, message) in refusals {
            let error = #expect(throws: StageError.self) { try ThreeTowerRanker.configuration(base, applying: settings) }
            #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        }
        var towers = ModelSettings()
        towers.userUnits = [4]
        let error = #expect(throws: StageError.self) { try MultiTaskRanker.configuration(MultiTaskRanker.defaultConfiguration, applying: towers) }
        #expect(error?.description.contains("has no setting 'userUnits'") == true)
    }
}
