import Foundation
import FunnelData
import FunnelPipeline
import FunnelRanking
import FunnelStages
import FunnelTesting
import Testing

/// A ranker written outside Funnel's modules: a click prediction from the pipeline's
/// `item:freshness` feature (and the candidate's position in the batch). It plugs in through
/// the registry like any stage.
struct FreshnessRanker: Ranker {
    let name: String
    let score: @Sendable (_ freshness: Float, _ position: Int) -> Double
    let featureNames = ["item:freshness"]
    var objectives: [Objective] { [.click] }

    func predict(_ batch: RankingBatch) -> Predictions {
        Predictions(.click, (0..<batch.count).map { score(batch.row($0).first!, $0) })
    }

    /// Newest items first.
    static let freshestFirst = FreshnessRanker(name: "freshest-first") { freshness, _ in Double(min(1, max(0, freshness))) }
}

@Suite struct StageRegistryTests {
    static var registry: StageRegistry {
        var registry = StageRegistry.standard
        registry.registerRanker("freshest-first") { _ in FreshnessRanker.freshestFirst }
        return registry
    }

    @Test func aRankerFromOutsidePassesTheContractAndServes() async throws {
        RankerContract.check(FreshnessRanker.freshestFirst)
        var configuration = PipelineConfiguration()
        (configuration.ranker, configuration.preRanker, configuration.reranker) = ("freshest-first", nil, "none")
        try configuration.validate(registry: Self.registry)
        let now = FeedPipelineTests.now
        // Item k was created k minutes ago; every item is in the latest channel.
        let items = (0..<30).map { Item(id: "i\($0)", categories: ["c\($0 % 3)"], createdAt: now.addingTimeInterval(-Double($0) * 60)) }
        let pipeline = try FeedPipeline(version: "test", configuration: configuration, items: items, events: [], now: now, ranker: nil,
                                        registry: Self.registry)
        let feed = await pipeline.feed(FeedRequest(user: "u", n: 5, now: now, explain: true), state: LiveState())
        #expect(feed.items.map(\.item) == ["i0", "i1", "i2", "i3", "i4"])
        #expect(feed.explanation?.ranker == "freshest-first" && feed.explanation?.reranker == "none")
        #expect(feed.explanation?.rankerNotice == nil)
        #expect(feed.items.first?.predictions?["click"] == feed.items.first?.score)
    }

    /// The pre-ranker keeps the ten freshest of thirty; the ranker, which prefers the oldest,
    /// orders only those: the feed is the oldest of the ten freshest.
    @Test func thePreRankerCutsWhatTheRankerScores() async throws {
        var registry = Self.registry
        registry.registerRanker("stalest-first") { _ in
            FreshnessRanker(name: "stalest-first") { freshness, _ in Double(1 - min(1, max(0, freshness))) }
        }
        var configuration = PipelineConfiguration()
        (configuration.ranker, configuration.preRanker, configuration.preRankDepth, configuration.reranker) = ("stalest-first", "freshest-first", 10, "none")
        try configuration.validate(registry: registry)
        let now = FeedPipelineTests.now
        let items = (0..<30).map { Item(id: "i\($0)", categories: ["c\($0 % 3)"], createdAt: now.addingTimeInterval(-Double($0) * 60)) }
        let pipeline = try FeedPipeline(version: "test", configuration: configuration, items: items, events: [], now: now, ranker: nil,
                                        registry: registry)
        let feed = await pipeline.feed(FeedRequest(user: "u", n: 5, now: now, explain: true), state: LiveState())
        #expect(feed.items.map(\.item) == ["i9", "i8", "i7", "i6", "i5"])
        #expect(feed.explanation?.preRanker == "freshest-first" && feed.explanation?.preRanked == 30 && feed.explanation?.ranked == 10)
        let candidates = await pipeline.rankingCandidates(for: "u", now: now)
        #expect(Set(candidates.items) == Set((0..<10).map { "i\($0)" }) && candidates.predictions.count == 10)

        configuration.preRanker = "logistic-regresion"
        let error = #expect(throws: PipelineError.self) { try configuration.validate(registry: registry) }
        #expect(error?.description.hasPrefix("pipeline.preRanker: unknown ranker 'logistic-regresion'") == true)
        // A trained kind with nothing trained yet: no cut, and the notice says what to run.
        configuration.preRanker = "logistic-regression"
        let untrained = try FeedPipeline(version: "test", configuration: configuration, items: items, events: [], now: now, ranker: nil,
                                         registry: registry)
        #expect(untrained.preRanker == nil && untrained.rankerNotice?.contains("no logistic-regression pre-ranker is trained yet") == true)
    }

    /// What `[pipeline.models.mmoe]` sets is what the trained model is made of.
    @Test func modelSettingsReachTheTrainedModel() throws {
        var settings = ModelSettings()
        (settings.experts, settings.expertUnits, settings.towerUnits, settings.epochs) = (2, [8], [4], 1)
        let trained = try StageRegistry.standard.ranker(named: "mmoe").train!(try Fixtures.clickExamples(rows: 600), settings)
        let model = try #require(trained.ranker as? MultiTaskRanker)
        #expect(model.configuration.experts == 2 && model.configuration.expertUnits == [8] && model.configuration.towerUnits == [4])
        #expect(trained.report.epochs == 1)
        let defaults = try StageRegistry.standard.ranker(named: "mmoe").train!(try Fixtures.clickExamples(rows: 600), nil)
        #expect((defaults.ranker as? MultiTaskRanker)?.configuration.expertUnits == MultiTaskRanker.Configuration().expertUnits)
    }

    @Test func unknownStagesAreRefusedWithTheKnownNames() {
        var configuration = PipelineConfiguration()
        configuration.ranker = "logistic-regresion"
        let error = #expect(throws: PipelineError.self) { try configuration.validate() }
        #expect(error?.description == "pipeline.ranker: unknown ranker 'logistic-regresion'; the rankers are logistic-regression, mmoe, reciprocal-rank-fusion, shared-bottom, three-tower")
        configuration = PipelineConfiguration()
        configuration.reranker = "xquad"
        let rerankerError = #expect(throws: PipelineError.self) { try configuration.validate() }
        #expect(rerankerError?.description.contains("unknown reranker 'xquad'; the rerankers are dpp, mmr, none") == true)
        #expect(throws: StageError.self) { try Objective(named: "clicks") }
    }

    /// Σ 1/(60 + rank) over the channels that proposed a candidate, from the channel columns.
    @Test func reciprocalRankFusionByHand() {
        let fusion = ReciprocalRankFusion(features: ["channel:a", "channel:b", "item:freshness"])
        #expect(fusion.featureNames == ["channel:a", "channel:b"])
        RankerContract.check(fusion)
        // Proposed by a at rank 0 and b at rank 4; by b alone at rank 0; by none.
        let scores = fusion.predict(RankingBatch(width: 2, features: [1, 1.0 / 5, 0, 1, 0, 0])).column(.click)!
        #expect(abs(scores[0] - (1.0 / 60 + 1.0 / 64)) < 1e-7 && abs(scores[1] - 1.0 / 60) < 1e-7 && scores[2] == 0)
    }

    /// A ranker that predicts NaN for some candidates never has them served.
    @Test func nonFiniteScoresAreNeverServed() async throws {
        var registry = StageRegistry.standard
        registry.registerRanker("broken") { _ in FreshnessRanker(name: "broken") { _, position in position % 2 == 0 ? .nan : 0.5 } }
        var configuration = PipelineConfiguration()
        configuration.ranker = "broken"
        let now = FeedPipelineTests.now
        let items = (0..<10).map { Item(id: "i\($0)", createdAt: now.addingTimeInterval(-Double($0) * 60)) }
        let pipeline = try FeedPipeline(version: "test", configuration: configuration, items: items, events: [], now: now, ranker: nil,
                                        registry: registry)
        let feed = await pipeline.feed(FeedRequest(user: "u", n: 10, now: now), state: LiveState())
        #expect(feed.items.count == 5 && feed.items.allSatisfy { $0.score == 0.5 })
    }
}
