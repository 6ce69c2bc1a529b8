import Foundation
import FunnelPipeline
import FunnelRetrieval
import FunnelServer
import FunnelStages
import Testing

@Suite struct ConfigurationFileTests {
    @Test func readsEveryTableOverTheDefaults() throws {
        let file = try ConfigurationFile.parse("""
            [server]
            host = "0.0.0.0"
            port = 9000
            apiKeys = ["k1", "k2"]
            readsNeedKey = true
            exposureSaveSeconds = 0.5
            exposureRefreshSeconds = 3.0

            [pipeline]
            mmrLambda = 0.5
            ranker = "mmoe"
            [pipeline.quotas]
            latest = 0
            itemcf = 150
            [pipeline.fusion]
            rule = "rank"
            weights = { click = 1.0, "watch-time" = 0.5 }
            [pipeline.models.mmoe]
            experts = 3
            expertUnits = [32]
            epochs = 4
            negativeSampling = { keepRate = 0.25 }
            [pipeline.features]
            itemNumeric = ["price"]
            numericBuckets = { price = [10.0, 50.0] }
            [pipeline.twoTower]
            loss = "pairwise-hinge"
            negatives = "hard"
            hardRanks = [50, 150]
            selfSupervision = { augmentation = "mask", weight = 0.5 }
            """)
        var server = ServerConfiguration(apiKeys: ["cli"])
        file.apply(to: &server)
        #expect(server.host == "0.0.0.0" && server.port == 9000 && server.apiKeys == ["cli", "k1", "k2"] && server.readsNeedKey)
        #expect(server.exposureSaveSeconds == 0.5 && server.exposureRefreshSeconds == 3)
        #expect(server.maximumBatch == ServerConfiguration().maximumBatch, "left out, left at the default")
        var expected = PipelineConfiguration()
        (expected.mmrLambda, expected.quotas, expected.ranker) = (0.5, ["latest": 0, "itemcf": 150], "mmoe")
        (expected.fusion.rule, expected.fusion.weights) = (.rank, ["click": 1, "watch-time": 0.5])
        var settings = ModelSettings()
        (settings.experts, settings.expertUnits, settings.epochs, settings.negativeSampling) = (3, [32], 4, NegativeSampling(keepRate: 0.25))
        expected.models = ["mmoe": settings]
        (expected.features.itemNumeric, expected.features.numericBuckets) = (["price"], ["price": [10, 50]])
        (expected.twoTower.loss, expected.twoTower.negatives, expected.twoTower.hardRanks) = (.pairwiseHinge, .hard, 50..<150)
        expected.twoTower.selfSupervision = .init(augmentation: .mask, weight: 0.5)
        #expect(file.pipeline == expected)
        #expect(try ConfigurationFile.parse("").pipeline == nil)
    }

    /// TOML writes 1 and 1.0 apart; a key that takes a fraction reads a whole number too.
    @Test func wholeNumbersServeWhereFractionsAreRead() throws {
        let file = try ConfigurationFile.parse("""
            [pipeline]
            mmrLambda = 1
            [pipeline.fusion.weights]
            click = 2
            [pipeline.features]
            itemNumeric = ["price"]
            [pipeline.features.numericBuckets]
            price = [10, 50.5]
            [server]
            exposureSaveSeconds = 3
            """)
        #expect(file.pipeline?.mmrLambda == 1 && file.pipeline?.fusion.weights == ["click": 2])
        #expect(file.pipeline?.features.numericBuckets == ["price": [10, 50.5]])
        #expect(file.server?.exposureSaveSeconds == 3)
        #expect(throws: PipelineError.self) { try ConfigurationFile.parse("[server]\nport = 8080.5") }
    }

    @Test func theExampleFileIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try ConfigurationFile.load(root.appendingPathComponent("funnel.example.toml"))
        #expect(file.pipeline?.quotas == ["latest": 50, "swing": 150] && file.server?.apiKeys == ["change-me"])
    }

    /// Each bad file and a phrase its error must hold.
    @Test func badFilesAreNamed() {
        let cases = [
            ("[pipeline]\nmmrLamda = 0.5", "unknown key pipeline.mmrLamda"),
            ("[server]\nport = \"eighty\"", "server.port has the wrong type"),
            ("[pipeline]\nmmrWindow = \"five\"", "pipeline.mmrWindow"),
            ("[pipeline]\nmmrLambda = 1.5", "pipeline.mmrLambda must be within 0…1"),
            ("[pipeline]\nneighboursPerItem = 0", "pipeline.neighboursPerItem must be at least 1"),
            ("[pipeline.quotas]\nlatest = -1", "pipeline.quotas must not be negative"),
            ("[pipeline.quotas]\nlastest = 10", "pipeline.quotas: unknown channel 'lastest'; the channels are itemcf, swing"),
            ("[server]\nport = 70000", "server.port must be 0…65535"),
            ("[server]\nexposureSaveSeconds = -1.0", "server.exposureSaveSeconds must be 0 or more seconds"),
            ("[server\nport = 1", "funnel.toml:1:"),
            ("[pipeline]\nranker = \"mmoee\"", "unknown ranker 'mmoee'; the rankers are logistic-regression, mmoe"),
            ("[pipeline]\nreranker = \"xquad\"", "unknown reranker 'xquad'"),
            ("[pipeline]\nreranker = \"dpp\"\ndppTheta = 1.0", "pipeline.dppTheta must be within [0, 1)"),
            ("[pipeline]\ndppWindow = 1", "pipeline.dppWindow must be 0 (the whole list) or at least 2"),
            ("[pipeline.similarity]\ntext = -1.0", "pipeline.similarity: text must be a number of at least 0"),
            ("[pipeline.similarity]\ncategory = 0.0", "pipeline.similarity: needs a weight above 0"),
            ("[pipeline.similarity]\nvectors = \"item2vec\"", "pipeline.similarity.vectors: unknown source of vectors 'item2vec'; the sources are content, two-tower"),
            ("[pipeline.similarity]\nvector = 1.0\nvectors = \"two-tower\"\n[pipeline.quotas]\ntwo-tower = 0", "\"two-tower\" needs the two-tower channel"),
            ("[pipeline.similarity]\nauthors = 1.0", "unknown key pipeline.similarity.authors"),
            ("[pipeline.surfaces.feed]\nreranker = \"mmr\"", "pipeline.surfaces: unknown surface 'feed'; the surfaces are similar, popular, latest"),
            ("[pipeline.surfaces.similar]\nreranker = \"xquad\"", "pipeline.surfaces.similar.reranker: unknown reranker 'xquad'"),
            ("[pipeline.surfaces.popular]\ndepth = 0", "pipeline.surfaces.popular.depth must be at least 1"),
            ("[pipeline.surfaces.latest.scattering]\nwindow = 1", "pipeline.surfaces.latest.scattering.window must be 0 (no window rules) or at least 2"),
            ("[pipeline.surfaces.latest]\nrerankDepth = 2", "unknown key pipeline.surfaces.latest.rerankDepth"),
            ("[pipeline.scattering]\nwindow = 1", "pipeline.scattering.window must be 0 (no window rules) or at least 2"),
            ("[pipeline.scattering]\nfreshShare = 1.5", "pipeline.scattering.freshShare must be within 0…1"),
            ("[pipeline.scattering]\nmaxPerAuthr = 1", "unknown key pipeline.scattering.maxPerAuthr"),
            ("[pipeline.fusion]\nrule = \"sum\"", "pipeline.fusion.rule"),
            ("[pipeline.fusion.weights]\nclik = 1.0", "unknown objective 'clik'"),
            ("[pipeline.fusion.weights]\nlike = nan", "fusion weight of 'like' must be a finite number"),
            ("[pipeline]\npreRanker = \"lr\"", "pipeline.preRanker: unknown ranker 'lr'"),
            ("[pipeline]\npreRankDepth = 0", "pipeline.preRankDepth must be at least 1"),
            ("[pipeline.models.mmoe]\nexperts = 1", "pipeline.models.mmoe: experts must be at least 2"),
            ("[pipeline.models.mmoe]\nexpertUnits = []", "pipeline.models.mmoe: expertUnits must list one or more positive widths"),
            ("[pipeline.models.mmoe]\nexpertz = 4", "unknown key pipeline.models.mmoe.expertz"),
            ("[pipeline.models.mmoe]\nlearningRate = -1.0", "pipeline.models.mmoe: learningRate must be a positive number"),
            ("[pipeline.models.mmoe.negativeSampling]\nkeepRate = 0.0", "pipeline.models.mmoe: negativeSampling.keepRate must be in (0, 1]"),
            ("[pipeline.models.mmoe]\nobjectives = [\"clicks\"]", "pipeline.models.mmoe.objectives"),
            ("[pipeline.models.shared-bottom]\nexperts = 4", "pipeline.models.shared-bottom: shared-bottom has no setting 'experts'"),
            ("[pipeline.models.logistic-regression]\ntowerUnits = [8]", "logistic-regression has no setting 'towerUnits'"),
            ("[pipeline.models.reciprocal-rank-fusion]\nepochs = 3", "reciprocal-rank-fusion is not trained and takes no settings"),
            ("[pipeline.models.dcn]\nepochs = 3", "pipeline.models.dcn: unknown ranker 'dcn'"),
            ("[pipeline.features]\ngroups = [\"item\", \"colour\"]", "funnel.toml: pipeline.features.groups: unknown feature group 'colour'; the groups are channels, item"),
            ("[pipeline.features]\nwindows = [7, 0]", "pipeline.features.windows must be one or more whole days"),
            ("[pipeline.features]\nhashBuckets = 0", "pipeline.features.hashBuckets must be within 1…1024"),
            ("[pipeline.features]\nageBuckets = [6.0, 1.0]", "pipeline.features.ageBuckets must be positive hours in increasing order"),
            ("[pipeline.features.numericBuckets]\nprice = [10.0]", "pipeline.features.numericBuckets.price names an attribute neither"),
            ("[pipeline.features]\nitemNumeric = [\"price\"]\n[pipeline.features.numericBuckets]\nprice = [10.0, 5.0]",
             "pipeline.features.numericBuckets.price must be finite boundaries in increasing order"),
            ("[pipeline]\npriorStrength = 5.0", "unknown key pipeline.priorStrength"),
            ("[pipeline.features]\ngroups = [\"item\", \"sequence\"]", "pipeline.features.groups names 'sequence' without 'ids'"),
            ("[pipeline.features]\nsequenceLength = 51", "pipeline.features.sequenceLength must be within 1…50"),
            ("[pipeline.features]\ngroups = [\"item\", \"categorySequence\"]", "pipeline.features.groups names 'categorySequence' without 'ids'"),
            ("[pipeline.features]\ncategorySequenceLength = 0", "pipeline.features.categorySequenceLength must be within 1…50"),
            ("[pipeline.features]\nlongHistoryLength = 10", "pipeline.features.longHistoryLength must be within categorySequenceLength (16)…10000"),
            ("[pipeline.models.mmoe]\nsequencePooling = \"max\"", "pipeline.models.mmoe: sequencePooling must be one of none, mean, attention, got 'max'"),
            ("[pipeline.models.mmoe]\nattentionUnits = [0]", "pipeline.models.mmoe: attentionUnits must list one or more positive widths"),
            ("[pipeline.models.mmoe]\nsequencePooling = \"mean\"", "pipeline.models.mmoe.sequencePooling: the features have no behaviour sequence"),
            ("[pipeline.models.logistic-regression]\nsequencePooling = \"mean\"", "logistic-regression has no setting 'sequencePooling'"),
            ("[pipeline.models.three-tower]\nuserUnits = [8, 16]", "pipeline.models.three-tower: userUnits and itemUnits must end in the same width"),
            ("[pipeline.models.three-tower]\ndistillation = 2.0", "pipeline.models.three-tower: distillation must be within 0…1, got 2.0"),
            ("[pipeline.models.mmoe]\ntopUnits = [4]", "pipeline.models.mmoe: mmoe has no setting 'topUnits'"),
            ("[pipeline.twoTower]\nloss = \"triplet\"", "pipeline.twoTower.loss"),
            ("[pipeline.positiveOnly]\nnegatives = 0", "pipeline.positiveOnly.negatives must be within 1…100"),
            ("[pipeline.positiveOnly]\nshare = 1.0", "pipeline.positiveOnly.share must be in (0, 1)"),
            ("[pipeline.positiveOnly]\nsampler = \"random\"", "pipeline.positiveOnly.sampler"),
            ("[pipeline.twoTower]\nnegative = \"hard\"", "unknown key pipeline.twoTower.negative"),
            ("[pipeline.twoTower]\nhardRanks = [300, 100]", "hardRanks must be [from, to] with 0 ≤ from < to"),
            ("[pipeline.twoTower]\nsampled = 0", "pipeline.twoTower.sampled must be at least 1"),
            ("[pipeline.twoTower.selfSupervision]\nweight = nan", "pipeline.twoTower.selfSupervision.weight must be a finite number"),
            ("[pipeline.twoTower.selfSupervision]\nrate = 1.0", "pipeline.twoTower.selfSupervision.rate must be in [0, 1)"),
        ]
        for (text, phrase) in cases {
            do {
                _ = try ConfigurationFile.parse(text, source: "funnel.toml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains(phrase), "'\(error)' lacks '\(phrase)'")
            }
        }
    }
}
