import Foundation
import FunnelData
import FunnelPipeline
import FunnelRetrieval
import FunnelStore
import FunnelTensor
import FunnelTestSupport
import Testing

/// The feed's two-tower model: its features by hand, its quality on a simulated feed against
/// popularity, and the channel that serves it (filtered search, the same answers after a save
/// and load through the store).
@Suite struct TwoTowerFeedTests {
    static let world = simulatedLog(seed: 5, users: 600, items: 3_000, authors: 300, days: 5)

    static let trained: TwoTowerFeedTraining.Outcome = try! TwoTowerFeedTraining.train(
        items: world.items, events: world.events,
        training: TrainingConfiguration(epochs: 4, batchSize: 512, learningRate: 3e-3, patience: 1))

    @Test func featuresEncodeByHand() {
        let features = TwoTowerFeatures(users: ["a", "b"], items: ["i1", "i2", "i3"], categories: ["c"], authors: ["x", "y"], historyLength: 2)
        let users = features.userTable([(user: "b", history: ["i3", "zz", "i1", "i2"]), (user: "stranger", history: [])])
        #expect(users.ids == [2, 0] && users.bagIDs == [3, 1] && users.bagOffsets == [0, 2, 2], "unknown history items skipped, then the first two")
        #expect(users.vocabularySize == 3 && users.bagVocabularySize == 4)
        // Item ids 1…3 (0 unknown), categories from 4 (4 unknown, c = 5), authors from 6 (6 unknown, x = 7, y = 8).
        let items = features.itemTable([Item(id: "i2", categories: ["c"], authorID: "y"), Item(id: "new", categories: ["d"])])
        #expect(items.ids == [2, 5, 8, 0, 4, 6] && items.vocabularySize == 9)
        #expect(features.userTower.vocabularySize == 3 && features.itemTower.vocabularySize == 9)
        #expect(!features.knows(user: "zz", history: ["i9"]) && features.knows(user: "zz", history: ["i1"]) && features.knows(user: "a", history: []))
    }

    /// Recall@50 of each next positive action (the last 5% in time) among every item the user
    /// had not acted on: the model must beat the popularity ranking clearly.
    @Test func beatsPopularityOnTheNextActions() {
        let report = Self.trained.report
        #expect(report.examples > 10_000)
        #expect(report.validationRecall50 > 1.3 * report.popularityRecall50,
                "two-tower Recall@50 \(report.validationRecall50) against popularity \(report.popularityRecall50)")
    }

    @Test func channelLeavesOutActedOnItemsAndSurvivesTheStore() async throws {
        let (items, events) = Self.world
        let now = events.map(\.timestamp).max()!
        let channel = TwoTowerChannel(model: Self.trained.model, features: Self.trained.features, items: items, now: now)
        let recent = LastNIndex()
        recent.record(events)
        let user = events.last { InterestWeights.standard.weight(of: $0.type) > 0 }!.userID
        let context = RetrievalContext(userID: user, now: now, recentActions: recent.actions(of: user))
        let found = try await channel.retrieve(for: context, limit: 50)
        #expect(found.count == 50 && Set(found.map(\.item)).count == 50)
        #expect(context.actedOn.isDisjoint(with: found.map(\.item)), "what the user acted on is filtered in the search")
        #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(try await channel.retrieve(for: RetrievalContext(userID: "stranger", now: now), limit: 10).isEmpty, "nothing to go on")
        let newcomer = RetrievalContext(userID: "newcomer", now: now, recentActions: Array(context.recentActions.prefix(3)))
        #expect(try await channel.retrieve(for: newcomer, limit: 10).count == 10, "a few clicks are enough")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-two-tower-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("funnel.sqlite").path)
        let version = try await PipelineLoader.save(Self.trained, to: store)
        let loaded = try #require(try await PipelineLoader.latestTwoTower(store))
        #expect(loaded.version == version && loaded.features == Self.trained.features)
        let again = TwoTowerChannel(model: loaded.model, features: loaded.features, items: items, now: now)
        let foundAgain = try await again.retrieve(for: context, limit: 50)
        #expect(foundAgain.map(\.item) == found.map(\.item) && zip(foundAgain, found).allSatisfy { abs($0.score - $1.score) < 1e-6 })
    }
}
