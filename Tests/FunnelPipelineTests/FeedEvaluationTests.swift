import Foundation
import FunnelData
import FunnelPipeline
import FunnelRerank
import Testing

/// The offline judgement of the feed: a hand-made log where the answer is known, then the
/// relations every report must keep on a simulated feed.
@Suite struct FeedEvaluationTests {
    /// Three users click i0…i3 on day one; on day two u0 clicks i4 (which u1 and u2 clicked on day
    /// one, so it is the most popular item u0 has not touched) and u1 clicks i9 (which nobody
    /// had clicked). The popularity list of one item holds i4 for u0 and not i9 for u1; with the
    /// latest channel off (it would propose every item), no channel proposes i9.
    @Test func recallByHand() async throws {
        let day = Date(timeIntervalSince1970: 1_780_000_000)
        let items = (0..<10).map { Item(id: "i\($0)", categories: ["c\($0 % 2)"], createdAt: day.addingTimeInterval(-86_400)) }
        var events: [Event] = []
        func click(_ user: String, _ item: String, _ hour: Double) {
            events.append(Event(userID: user, itemID: item, type: .click, timestamp: day.addingTimeInterval(hour * 3_600)))
        }
        for (k, item) in ["i0", "i1", "i2", "i3"].enumerated() { click("u0", item, Double(k)) }
        for (k, item) in ["i0", "i4", "i5"].enumerated() { click("u1", item, Double(k)) }
        for (k, item) in ["i1", "i4", "i6"].enumerated() { click("u2", item, Double(k)) }
        click("u0", "i4", 30)
        click("u1", "i9", 31)
        var configuration = PipelineConfiguration()
        configuration.quotas = ["latest": 0]
        let report = try await FeedEvaluation.run(StoreSnapshot(items: items, events: events), configuration: configuration,
                                                  holdoutSeconds: 86_400, n: 1, trainModels: false)
        #expect(report.users == 2 && report.heldOutActions == 2)
        #expect(report.popularRecall == 0.5 && report.popularHitRate == 0.5, "i4 for u0, nothing for u1")
        #expect(report.channelRecall["popular"] == 0.5, "the popular channel proposes i4 to u0 too")
        #expect(report.candidateRecall == 0.5 && report.feedRecall <= 0.5, "nobody proposes i9, never clicked")
    }

    @Test func reportKeepsItsRelationsOnASimulatedFeed() async throws {
        let (items, events) = TwoTowerFeedTests.world
        let r = try await FeedEvaluation.run(StoreSnapshot(items: items, events: events), configuration: PipelineConfiguration(),
                                             n: 50, sampleUsers: 300, trainModels: false)
        #expect(r.users == 300 && r.heldOutActions >= 300)
        #expect(r.feedRecall > 0 && r.feedRecall <= r.feedHitRate && r.popularRecall <= r.popularHitRate)
        #expect(r.channelRecall.values.allSatisfy { $0 <= r.candidateRecall + 1e-12 }, "merged candidates hold every channel's")
        #expect(r.feedRecall <= r.candidateRecall, "the feed is drawn from the candidates")

        // Diversity: a DPP that weighs it heavily makes feeds less alike within than the ranker's order.
        var plain = PipelineConfiguration(), diverse = PipelineConfiguration()
        plain.reranker = "none"
        (diverse.reranker, diverse.dppTheta) = ("dpp", 0.2)
        let ordered = try await FeedEvaluation.run(StoreSnapshot(items: items, events: events), configuration: plain, n: 20, sampleUsers: 300, trainModels: false)
        let varied = try await FeedEvaluation.run(StoreSnapshot(items: items, events: events), configuration: diverse, n: 20, sampleUsers: 300, trainModels: false)
        #expect(varied.intraListSimilarity < ordered.intraListSimilarity && varied.leafCategoriesPerFeed > ordered.leafCategoriesPerFeed,
                "ILS \(varied.intraListSimilarity) against \(ordered.intraListSimilarity)")
    }

    /// Variants (an experiment's arms) judged over one pipeline and one sample of users give
    /// what separate runs under each configuration give, in their order; a variant the
    /// pipeline cannot take is refused by name.
    @Test func variantsMatchSeparateRuns() async throws {
        let (items, events) = TwoTowerFeedTests.world
        let data = StoreSnapshot(items: items, events: events)
        var plain = PipelineConfiguration()
        plain.reranker = "none"
        var dpp = PipelineOverrides(), authors = PipelineOverrides()
        (dpp.reranker, dpp.dppTheta) = ("dpp", 0.2)
        authors.similarity = SimilarityWeights(category: 1, author: 1)
        let reports = try await FeedEvaluation.run(data, configuration: plain, variants: [("plain", PipelineOverrides()), ("dpp", dpp), ("authors", authors)],
                                                   n: 20, sampleUsers: 200, trainModels: false)
        #expect(reports.map(\.name) == ["plain", "dpp", "authors"])
        for (overrides, (name, report)) in zip([PipelineOverrides(), dpp, authors], reports) {
            let alone = try await FeedEvaluation.run(data, configuration: overrides.applied(to: plain), n: 20, sampleUsers: 200, trainModels: false)
            #expect(alone.feedRecall == report.feedRecall && alone.intraListSimilarity == report.intraListSimilarity, "\(name)")
        }
        #expect(reports[1].report.reranker == "dpp" && reports[1].report.intraListSimilarity < reports[0].report.intraListSimilarity)
        var bad = PipelineOverrides()
        bad.quotas = ["itemcf": -1]
        await #expect { try await FeedEvaluation.run(data, configuration: plain, variants: [("broken", bad)], n: 20, sampleUsers: 50, trainModels: false) } throws: {
            "\($0)".contains("broken: pipeline.quotas must not be negative")
        }
    }

    /// Games/puzzle and games/action share one level of three; music shares none.
    @Test func intraListSimilarityByHand() {
        let puzzle: Set = ["games", "games/puzzle"], action: Set = ["games", "games/action"], jazz: Set = ["music", "music/jazz"]
        #expect(FeedEvaluation.intraListSimilarity([puzzle, action, jazz]) == (1.0 / 3) / 3)
        #expect(FeedEvaluation.intraListSimilarity([puzzle]) == 0)
    }
}
