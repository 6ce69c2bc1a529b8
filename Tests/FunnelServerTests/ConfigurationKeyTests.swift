import Foundation
import FunnelData
import FunnelPipeline
import FunnelRerank
import FunnelRetrieval
import FunnelServer
import FunnelStages
import FunnelTensor
import FunnelTestSupport
import Testing

/// Every key of `funnel.toml` acts: set in a file, it changes what the server, the trained
/// models or the served feeds do. Each `[pipeline]` key is one case: the same simulated log is
/// trained and served under a reference file and under the file with the key set, and what
/// came out (training examples, trained predictions, feeds with their explanations) must
/// differ. The `[server]` keys each change the server's configuration; what each then does is
/// tested over HTTP in `APITests`, `ExposureWindowTests` and `ExposurePersistenceTests`.
@Suite struct ConfigurationKeyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        /// The key's path, as the file spells it.
        let key: String
        /// The file it is compared with, and that file with the key set (`lines` appended).
        let reference: String
        let changed: String

        init(_ key: String, _ lines: String, over reference: String = "") {
            (self.key, self.reference) = (key, reference)
            changed = reference.isEmpty ? lines : reference + "\n" + lines
        }

        var testDescription: String { key }
    }

    static let pipelineCases: [Case] = [
        Case("pipeline.quotas", "[pipeline.quotas]\nitemcf = 5"),
        Case("pipeline.defaultQuota", "[pipeline]\ndefaultQuota = 20"),
        Case("pipeline.neighboursPerItem", "[pipeline]\nneighboursPerItem = 3"),
        Case("pipeline.rerankDepth", "[pipeline]\nrerankDepth = 1"),
        Case("pipeline.mmrLambda", "[pipeline]\nmmrLambda = 0.2"),
        Case("pipeline.mmrWindow", "mmrWindow = 1", over: "[pipeline]\nmmrLambda = 0.3"),
        Case("pipeline.dppTheta", "dppTheta = 0.2", over: "[pipeline]\nreranker = \"dpp\""),
        Case("pipeline.dppWindow", "dppWindow = 2", over: "[pipeline]\nreranker = \"dpp\""),
        Case("pipeline.dppSimilarityWeight", "dppSimilarityWeight = 0.3", over: "[pipeline]\nreranker = \"dpp\""),
        Case("pipeline.exposureDays", "[pipeline]\nexposureDays = 2"),
        Case("pipeline.trainingExposures", "[pipeline]\ntrainingExposures = 3000"),
        Case("pipeline.ranker", "[pipeline]\nranker = \"shared-bottom\""),
        Case("pipeline.preRanker", "[pipeline]\npreRanker = \"none\""),
        Case("pipeline.preRankDepth", "[pipeline]\npreRankDepth = 40"),
        Case("pipeline.reranker", "[pipeline]\nreranker = \"none\""),
        Case("pipeline.fusion.rule", "[pipeline.fusion]\nrule = \"rank\""),
        Case("pipeline.fusion.weights", "[pipeline.fusion]\nweights = { like = 1.0 }"),
        Case("pipeline.fusion.rankOffset", "rankOffset = 1.0", over: "[pipeline.fusion]\nrule = \"rank\""),
        Case("pipeline.scattering.window", "window = 5", over: "[pipeline.scattering]\nmaxPerCategory = 1"),
        Case("pipeline.scattering.maxPerCategory", "maxPerCategory = 1", over: "[pipeline.scattering]\nwindow = 5"),
        Case("pipeline.scattering.maxPerAuthor", "maxPerAuthor = 1", over: "[pipeline.scattering]\nwindow = 8"),
        Case("pipeline.scattering.freshShare", "freshShare = 0.5", over: "[pipeline.scattering]\nfreshHours = 12.0"),
        Case("pipeline.scattering.freshHours", "freshHours = 12.0", over: "[pipeline.scattering]\nfreshShare = 0.5"),
        Case("pipeline.scattering.freshGap", "freshGap = 4", over: "[pipeline.scattering]\nfreshShare = 0.5\nfreshHours = 12.0"),
        Case("pipeline.similarity.category", "category = 0.5", over: "[pipeline.similarity]\nauthor = 1.0"),
        Case("pipeline.similarity.author", "[pipeline.similarity]\nauthor = 1.0"),
        Case("pipeline.similarity.tags", "[pipeline.similarity]\ntags = 1.0"),
        Case("pipeline.similarity.text", "[pipeline.similarity]\ntext = 1.0"),
        Case("pipeline.similarity.vector", "[pipeline.similarity]\nvector = 1.0"),
        Case("pipeline.similarity.vectors", "vectors = \"two-tower\"", over: "[pipeline.similarity]\nvector = 1.0"),
        Case("pipeline.surfaces.similar", "[pipeline.surfaces.similar]\nreranker = \"mmr\""),
        Case("pipeline.surfaces.popular", "[pipeline.surfaces.popular]\nreranker = \"mmr\""),
        Case("pipeline.surfaces.latest", "[pipeline.surfaces.latest]\nreranker = \"dpp\""),
        Case("pipeline.surfaces.<surface>.reranker", "reranker = \"dpp\"", over: "[pipeline.surfaces.popular]\ndppTheta = 0.2"),
        Case("pipeline.surfaces.<surface>.mmrLambda", "mmrLambda = 0.1", over: "[pipeline.surfaces.popular]\nreranker = \"mmr\""),
        Case("pipeline.surfaces.<surface>.mmrWindow", "mmrWindow = 1", over: "[pipeline.surfaces.popular]\nreranker = \"mmr\"\nmmrLambda = 0.3"),
        Case("pipeline.surfaces.<surface>.dppTheta", "dppTheta = 0.1", over: "[pipeline.surfaces.popular]\nreranker = \"dpp\""),
        Case("pipeline.surfaces.<surface>.dppWindow", "dppWindow = 2", over: "[pipeline.surfaces.popular]\nreranker = \"dpp\""),
        Case("pipeline.surfaces.<surface>.dppSimilarityWeight", "dppSimilarityWeight = 0.3", over: "[pipeline.surfaces.popular]\nreranker = \"dpp\""),
        Case("pipeline.surfaces.<surface>.depth", "depth = 2", over: "[pipeline.surfaces.popular]\nreranker = \"mmr\"\nmmrLambda = 0.3"),
        Case("pipeline.surfaces.<surface>.scattering", "[pipeline.surfaces.popular.scattering]\nwindow = 4\nmaxPerCategory = 1"),
        Case("pipeline.features.groups", "[pipeline.features]\ngroups = [\"channels\", \"item\"]"),
        Case("pipeline.features.windows", "[pipeline.features]\nwindows = [2]"),
        Case("pipeline.features.priorStrength", "[pipeline.features]\npriorStrength = 2.0"),
        Case("pipeline.features.hashBuckets", "[pipeline.features]\nhashBuckets = 3"),
        Case("pipeline.features.ageBuckets", "[pipeline.features]\nageBuckets = [12.0]"),
        Case("pipeline.features.userNumeric", "[pipeline.features]\nuserNumeric = [\"age\"]"),
        Case("pipeline.features.itemNumeric", "[pipeline.features]\nitemNumeric = [\"price\"]"),
        Case("pipeline.features.numericBuckets", "numericBuckets = { price = [1.0] }",
             over: "[pipeline.features]\nitemNumeric = [\"price\"]"),
        Case("pipeline.features.sequenceLength", "sequenceLength = 2", over: withSequence),
        Case("pipeline.features.categorySequenceLength", "categorySequenceLength = 1", over: withCategorySequence),
        Case("pipeline.features.longHistoryLength", "longHistoryLength = 16", over: withCategorySequence),
        Case("pipeline.models.epochs", "[pipeline.models.mmoe]\nepochs = 1"),
        Case("pipeline.models.batchSize", "[pipeline.models.mmoe]\nbatchSize = 256"),
        Case("pipeline.models.learningRate", "[pipeline.models.mmoe]\nlearningRate = 0.01"),
        Case("pipeline.models.patience", "patience = 1",
             over: "[pipeline.models.mmoe]\nepochs = 6\nlearningRate = 0.3"),
        Case("pipeline.models.seed", "[pipeline.models.mmoe]\nseed = 7"),
        Case("pipeline.models.objectives", "[pipeline.models.mmoe]\nobjectives = [\"click\", \"like\"]"),
        Case("pipeline.models.experts", "[pipeline.models.mmoe]\nexperts = 2"),
        Case("pipeline.models.personalGateUnits", "[pipeline.models.mmoe]\npersonalGateUnits = 8"),
        Case("pipeline.models.expertUnits", "[pipeline.models.mmoe]\nexpertUnits = [8]"),
        Case("pipeline.models.towerUnits", "[pipeline.models.mmoe]\ntowerUnits = [4]"),
        Case("pipeline.models.gateDropout", "[pipeline.models.mmoe]\ngateDropout = 0.5"),
        Case("pipeline.models.dropout", "[pipeline.models.mmoe]\ndropout = 0.3"),
        Case("pipeline.models.negativeSampling.keepRate", "[pipeline.models.mmoe]\nnegativeSampling = { keepRate = 0.5 }"),
        Case("pipeline.models.negativeSampling.objective", "[pipeline.models.mmoe]\nnegativeSampling = { keepRate = 0.5, objective = \"like\" }"),
        Case("pipeline.models.negativeSampling.corrected", "[pipeline.models.mmoe]\nnegativeSampling = { keepRate = 0.5, corrected = false }"),
        Case("pipeline.models.idDimension", "[pipeline.models.mmoe]\nidDimension = 2", over: withIDs),
        Case("pipeline.models.idMinCount", "[pipeline.models.mmoe]\nidMinCount = 1000", over: withIDs),
        Case("pipeline.models.idBuckets", "[pipeline.models.mmoe]\nidBuckets = 2", over: withIDs),
        Case("pipeline.models.idL2", "[pipeline.models.mmoe]\nidL2 = 0.0", over: withIDs),
        Case("pipeline.models.sequencePooling", "[pipeline.models.mmoe]\nsequencePooling = \"mean\"", over: withSequence),
        Case("pipeline.models.attentionUnits", "[pipeline.models.mmoe]\nattentionUnits = [3]", over: withSequence),
        Case("pipeline.models.recencyEmbedding", "[pipeline.models.mmoe]\nrecencyEmbedding = false", over: withSequence),
        Case("pipeline.models.userUnits", "[pipeline.models.three-tower]\nuserUnits = [8, 32]", over: withThreeTowers),
        Case("pipeline.models.itemUnits", "[pipeline.models.three-tower]\nitemUnits = [8, 32]", over: withThreeTowers),
        Case("pipeline.models.crossUnits", "[pipeline.models.three-tower]\ncrossUnits = [3]", over: withThreeTowers),
        Case("pipeline.models.topUnits", "[pipeline.models.three-tower]\ntopUnits = [5]", over: withThreeTowers),
        Case("pipeline.models.distillation", "[pipeline.models.three-tower]\ndistillation = 0.0", over: withThreeTowers),
        Case("pipeline.models (of the pre-ranker)", "[pipeline.models.logistic-regression]\nlearningRate = 0.2"),
        Case("pipeline.positiveOnly.negatives", "negatives = 2", over: "[pipeline.positiveOnly]"),
        Case("pipeline.positiveOnly.sampler", "sampler = \"candidates\"", over: "[pipeline.positiveOnly]"),
        Case("pipeline.positiveOnly.share", "share = 0.1", over: "[pipeline.positiveOnly]"),
        Case("pipeline.twoTower.loss", "[pipeline.twoTower]\nloss = \"pairwise-logistic\""),
        Case("pipeline.twoTower.negatives", "[pipeline.twoTower]\nnegatives = \"mixed\""),
        Case("pipeline.twoTower.sampled", "sampled = 8", over: "[pipeline.twoTower]\nnegatives = \"mixed\""),
        Case("pipeline.twoTower.hardRanks", "hardRanks = [2, 4]", over: "[pipeline.twoTower]\nnegatives = \"hard\""),
        Case("pipeline.twoTower.margin", "margin = 0.5", over: "[pipeline.twoTower]\nloss = \"pairwise-hinge\""),
        Case("pipeline.twoTower.selfSupervision", "[pipeline.twoTower.selfSupervision]\nweight = 0.3"),
        Case("pipeline.twoTower.selfSupervision.augmentation", "augmentation = \"mask\"", over: "[pipeline.twoTower.selfSupervision]\nweight = 0.3"),
        Case("pipeline.twoTower.selfSupervision.rate", "rate = 0.2", over: "[pipeline.twoTower.selfSupervision]\naugmentation = \"mask\""),
        Case("pipeline.twoTower.selfSupervision.weight", "weight = 1.0", over: "[pipeline.twoTower.selfSupervision]\nrate = 0.5"),
        Case("pipeline.twoTower.selfSupervision.temperature", "temperature = 0.5", over: "[pipeline.twoTower.selfSupervision]\nrate = 0.5"),
        Case("pipeline.twoTower.selfSupervision.batchSize", "batchSize = 16", over: "[pipeline.twoTower.selfSupervision]\nrate = 0.5"),
    ]

    static let withThreeTowers = "[pipeline]\npreRanker = \"three-tower\"\npreRankDepth = 20"
    static let withIDs = "[pipeline.features]\ngroups = [\"channels\", \"item\", \"user\", \"ids\"]"
    static let withSequence = "[pipeline.features]\ngroups = [\"channels\", \"item\", \"user\", \"ids\", \"sequence\"]"
    static let withCategorySequence = "[pipeline.features]\ngroups = [\"channels\", \"item\", \"user\", \"ids\", \"categorySequence\"]"


    /// The simulated log, its items given text and content vectors (which the simulation does
    /// not write), drawn from their categories with noise, for the similarity keys.
    static let world: (items: [Item], events: [Event]) = {
        var (items, events) = simulatedLog(seed: 11, users: 150, items: 300, authors: 20, days: 4)
        var random = SplitMix64(seed: 5)
        let words = ["red", "blue", "quick", "quiet", "loud", "small", "grand", "fresh", "old", "new", "bright", "dark"]
        for k in items.indices {
            let topic = items[k].categories.first ?? "none"
            items[k].text = "\(topic) " + (0..<4).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
            let seed = Float(topic.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 97 })
            items[k].contentVector = (0..<8).map { Float(sin(seed * Float($0 + 1))) + Float(random.next() % 100) / 200 }
        }
        return (items, events)
    }()

    @Test(arguments: pipelineCases) func pipelineKeyActs(_ key: Case) async throws {
        let reference = try await Self.outcome(key.reference)
        let changed = try await Self.outcome(key.changed)
        let same = reference == changed
        #expect(!same, "\(key.key) set as the case sets it changed nothing")
    }

    /// `concurrentChannels` changes how a feed runs (its channels at once), not what it holds.
    @Test func concurrentChannelsRunsTheChannelsConcurrently() throws {
        for (text, concurrent) in [("", false), ("[pipeline]\nconcurrentChannels = true", true)] {
            let configuration = try Self.configuration(text)
            let pipeline = try FeedPipeline(version: "t", configuration: configuration, items: Self.world.items, events: [], now: Date(), ranker: nil)
            #expect(pipeline.retriever.concurrent == concurrent)
        }
    }

    /// Every key the file can hold has a case here (so a key added without one fails).
    @Test func everyKeyHasACase() {
        func keys(of value: Any, under prefix: String) -> [String] {
            Mirror(reflecting: value).children.compactMap { $0.label.map { "\(prefix).\($0)" } }
        }
        var all = keys(of: PipelineConfiguration(), under: "pipeline")
            .filter { !["pipeline.fusion", "pipeline.features", "pipeline.models", "pipeline.scattering", "pipeline.similarity",
                        "pipeline.twoTower", "pipeline.positiveOnly"].contains($0) }
        all += keys(of: ScoreFusion(), under: "pipeline.fusion") + keys(of: FeatureSpec(), under: "pipeline.features")
        all += keys(of: ScatteringRules(), under: "pipeline.scattering")
        all += keys(of: SimilarityWeights(), under: "pipeline.similarity")
        all = all.filter { $0 != "pipeline.surfaces" } + Surface.allCases.map { "pipeline.surfaces.\($0.rawValue)" }
        all += keys(of: RerankSettings(), under: "pipeline.surfaces.<surface>")
        all += keys(of: ModelSettings(), under: "pipeline.models").filter { $0 != "pipeline.models.negativeSampling" }
        all += keys(of: NegativeSampling(keepRate: 1), under: "pipeline.models.negativeSampling")
        all += keys(of: PositiveOnlyTraining(), under: "pipeline.positiveOnly")
        all += keys(of: TwoTowerObjective(), under: "pipeline.twoTower")
        all += keys(of: TwoTowerObjective.SelfSupervision(), under: "pipeline.twoTower.selfSupervision")
        let covered = Set(Self.pipelineCases.map(\.key) + ["pipeline.concurrentChannels"] + Self.serverCases.map(\.key))
        #expect(all.filter { !covered.contains($0) } == [])
        let server = keys(of: ConfigurationFile.Server(), under: "server")
        #expect(server.filter { !covered.contains($0) } == [])
    }

    static let serverCases: [(key: String, line: String, changed: @Sendable (ServerConfiguration) -> Bool)] = [
        ("server.host", "host = \"0.0.0.0\"", { $0.host == "0.0.0.0" }),
        ("server.port", "port = 9123", { $0.port == 9123 }),
        ("server.apiKeys", "apiKeys = [\"k\"]", { $0.apiKeys.contains("k") }),
        ("server.readsNeedKey", "readsNeedKey = true", { $0.readsNeedKey }),
        ("server.maximumBatch", "maximumBatch = 7", { $0.maximumBatch == 7 }),
        ("server.maximumBodyBytes", "maximumBodyBytes = 1000", { $0.maximumBodyBytes == 1000 }),
        ("server.reloadCheckSeconds", "reloadCheckSeconds = 0.5", { $0.reloadCheckSeconds == 0.5 }),
        ("server.rebuildEverySeconds", "rebuildEverySeconds = 5.0", { $0.rebuildEverySeconds == 5 }),
        ("server.exposureSaveSeconds", "exposureSaveSeconds = 0.0", { $0.exposureSaveSeconds == 0 }),
        ("server.exposureRefreshSeconds", "exposureRefreshSeconds = 9.0", { $0.exposureRefreshSeconds == 9 }),
    ]

    @Test func everyServerKeyChangesTheServersConfiguration() throws {
        for (key, line, changed) in Self.serverCases {
            var configuration = ServerConfiguration()
            #expect(!changed(configuration), "\(key): the default already is the case's value")
            try ConfigurationFile.parse("[server]\n\(line)").apply(to: &configuration)
            #expect(changed(configuration), "\(key) did not reach the server's configuration")
        }
    }

    static func configuration(_ text: String) throws -> PipelineConfiguration {
        var configuration = try ConfigurationFile.parse(text).pipeline ?? PipelineConfiguration()
        // Short trainings, unless the case sets `epochs`.
        for name in ["mmoe", "shared-bottom", "three-tower"] where configuration.models[name]?.epochs == nil {
            configuration.models[name, default: ModelSettings()].epochs = 2
        }
        return configuration
    }

    /// What a server under this file does with the simulated log: the training examples, the
    /// trained ranker's and pre-ranker's predictions, two rounds of explained feeds (the second
    /// three days later, through the same exposure filters), and the other surfaces' lists.
    /// What comes out of training and serving under `text`; a file with a `[pipeline.positiveOnly]`
    /// table is judged on the log without its exposures, where those keys act.
    static func outcome(_ text: String) async throws -> [String] {
        let configuration = try configuration(text)
        let (items, logged) = world
        let events = text.contains("[pipeline.positiveOnly]") ? logged.filter { $0.type != .exposure } : logged
        let now = events.map(\.timestamp).max()!
        let examples = try await RankerTraining.rankingExamples(items: items, events: events, configuration: configuration)
        let trained = try await RankerTraining.train(items: items, events: events, configuration: configuration)
        var outcome = ["examples \(examples.featureNames) \(examples.count) \(examples.features.reduce(0, +))"]
        for stage in [trained.ranker, trained.preRanker?.ranker].compactMap({ $0 }) {
            let batch = examples.validationBatch.rows(Array(0..<min(200, examples.validationBatch.count)))
            let columns = stage.featureNames.map { examples.featureNames.firstIndex(of: $0)! }
            let predictions = stage.predict(RankingBatch(width: batch.width, features: batch.features, columns: columns))
            outcome.append("\(stage.name) \(predictions.objectives) \(predictions.values.map { ($0 * 1e6).rounded() })")
        }
        let pipeline = try FeedPipeline(version: "t", configuration: configuration, items: items, events: events, now: now,
                                        ranker: trained.ranker, preRanker: trained.preRanker?.ranker)
        let state = LiveState(for: configuration)
        let users = Array(Set(events.map(\.userID))).sorted().prefix(12)
        for later: TimeInterval in [0, 3 * 86_400] {
            for user in users {
                let feed = await pipeline.feed(FeedRequest(user: user, n: 10, now: now.addingTimeInterval(later), explain: true), state: state)
                let explanation = feed.explanation!
                let shown: [String] = feed.items.map { "\($0.item):\(($0.score * 1e6).rounded())" }
                let retrieved = explanation.retrievedByChannel.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                let removed = explanation.removedByFilter.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                let stages = [explanation.preRanked ?? -1, explanation.ranked, explanation.reranked].map(String.init)
                outcome.append(([user] + shown + retrieved + removed + stages + [explanation.ranker, explanation.reranker]).joined(separator: " "))
            }
        }
        outcome.append(pipeline.rankerNotice ?? "")
        let twoTower = try TwoTowerFeedTraining.train(items: items, events: events, objective: configuration.twoTower,
                                                      training: TrainingConfiguration(epochs: 2, batchSize: 256, learningRate: 3e-3, patience: 2))
        let vectors = TwoTowerTraining.itemVectors(twoTower.model, items: twoTower.features.itemTable(Array(items.prefix(5))))
        outcome.append("two-tower \(vectors.scalars.map { ($0 * 1e4).rounded() })")
        for surface in [Surface.popular, .latest] {
            let listed = surface == .popular ? pipeline.popularItems(pipeline.candidateCount(of: surface, n: 10))
                : pipeline.latestItems(pipeline.candidateCount(of: surface, n: 10))
            outcome.append("\(surface) " + pipeline.reranked(listed, for: surface, n: 10, now: now).joined(separator: " "))
        }
        for item in items.prefix(5) {
            let similar = Array(pipeline.similarItems(to: item.id).prefix(pipeline.candidateCount(of: .similar, n: 10)))
            outcome.append("similar \(item.id) " + pipeline.reranked(similar, for: .similar, n: 10, now: now).map(\.item).joined(separator: " "))
        }
        return outcome
    }
}
