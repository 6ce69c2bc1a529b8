import Foundation
import FunnelData
import FunnelRetrieval
import Testing

/// Every channel built from one small simulated feed: the first days build the indexes, the last
/// day's positive actions are what the channels should find.
@Suite struct RetrievalIndexesTests {
    struct Feed {
        let indexes: RetrievalIndexes
        let homes: [String: GeoPoint]
        let heldOut: [String: Set<String>]
        let now: Date
        let items: [Item]
        let events: [Event]
    }

    static let feed: Feed = {
        var configuration = FeedWorld.Configuration()
        (configuration.seed, configuration.users, configuration.items, configuration.authors, configuration.days) = (3, 600, 3_000, 300, 5)
        let simulation = FeedSimulation(world: try! FeedWorld(configuration), batchSize: 50_000)
        let now = configuration.start.addingTimeInterval(4 * 86_400)
        var items: [Item] = [], homes: [String: GeoPoint] = [:], events: [Event] = [], heldOut: [String: Set<String>] = [:]
        while let batch = try! simulation.nextBatch() {
            items += batch.items
            for user in batch.users { homes[user.id] = user.home }
            for event in batch.events {
                events.append(event)
                if event.timestamp >= now, InterestWeights.standard.weight(of: event.type) > 0 {
                    heldOut[event.userID, default: []].insert(event.itemID)
                }
            }
        }
        return Feed(indexes: RetrievalIndexes(items: items, events: events, now: now), homes: homes, heldOut: heldOut, now: now,
                    items: items, events: events)
    }()

    func context(_ user: String) -> RetrievalContext {
        Self.feed.indexes.context(for: user, now: Self.feed.now, location: Self.feed.homes[user])
    }

    @Test func everyChannelServesActiveUsersWithoutWhatTheyTouched() async throws {
        let indexes = Self.feed.indexes
        #expect(indexes.channels.map(\.name) == ["itemcf", "swing", "usercf", "popular", "trending", "latest", "nearby", "same-city",
                                                 "author-followed", "author-interacted", "author-similar"])
        let active = Self.feed.homes.keys.sorted().filter { indexes.lastN.actions(of: $0).count >= 20 }.prefix(30)
        #expect(active.count == 30)
        var served: [String: Int] = [:]
        for user in active {
            let context = context(user)
            for channel in indexes.channels {
                let items = try await channel.retrieve(for: context, limit: 50)
                #expect(items.count <= 50 && Set(items.map(\.item)).count == items.count, "\(channel.name) repeats items")
                #expect(items.allSatisfy { !context.actedOn.contains($0.item) } || ["popular", "trending", "latest", "nearby", "same-city"].contains(channel.name),
                        "\(channel.name) proposes what \(user) already acted on")
                #expect(zip(items, items.dropFirst()).allSatisfy { $0.score >= $1.score }, "\(channel.name) is not best first")
                if !items.isEmpty { served[channel.name, default: 0] += 1 }
            }
        }
        // Following is rare in the simulation; every other channel serves each active user.
        for channel in indexes.channels where channel.name != "author-followed" {
            #expect(served[channel.name] == active.count, "\(channel.name) served \(served[channel.name] ?? 0) of \(active.count)")
        }
        #expect(served["author-followed", default: 0] > 0)
    }

    /// Asked for, the item2vec channel comes last; it proposes, best first, only neighbours of
    /// the user's recent items that they have not touched, and finds more of the next day's
    /// positives than the newest items do.
    @Test func item2vecChannelServesNeighboursOfRecentItems() async throws {
        var parameters = RetrievalIndexes.Parameters()
        parameters.item2vec = Item2Vec.Parameters()
        parameters.item2vec!.epochs = 5
        let feed = Self.feed
        let indexes = RetrievalIndexes(items: feed.items, events: feed.events, now: feed.now, parameters: parameters)
        let channel = indexes.channels.last!
        #expect(channel.name == "item2vec" && indexes.channels.count == Self.feed.indexes.channels.count + 1)
        let users = feed.heldOut.keys.sorted().filter { !indexes.lastN.actions(of: $0).isEmpty }.prefix(300)
        var recall = 0.0, latestRecall = 0.0
        let latest = indexes.channels.first { $0.name == "latest" }!
        for user in users {
            let context = indexes.context(for: user, now: feed.now, location: feed.homes[user])
            let found = try await channel.retrieve(for: context, limit: 50)
            let recent = Set(indexes.lastN.actions(of: user).map(\.itemID))
            let neighbours = Set(recent.flatMap { indexes.item2vec!.similar(to: $0).map(\.id) })
            #expect(found.allSatisfy { neighbours.contains($0.item) && !context.actedOn.contains($0.item) })
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score })
            let truth = feed.heldOut[user]!
            recall += Double(found.filter { truth.contains($0.item) }.count) / Double(truth.count)
            latestRecall += Double(try await latest.retrieve(for: context, limit: 50).filter { truth.contains($0.item) }.count) / Double(truth.count)
        }
        #expect(recall > 1.5 * latestRecall, "item2vec \(recall / Double(users.count)) vs latest \(latestRecall / Double(users.count))")
    }

    /// The collaborative channels find more of the next day's positives than the newest items do.
    @Test func collaborativeChannelsBeatLatestOnTheNextDay() async throws {
        let indexes = Self.feed.indexes
        let users = Self.feed.heldOut.keys.sorted().filter { !indexes.lastN.actions(of: $0).isEmpty }.prefix(300)
        var recall: [String: Double] = [:]
        for channel in indexes.channels where ["itemcf", "swing", "usercf", "latest"].contains(channel.name) {
            for user in users {
                let truth = Self.feed.heldOut[user]!
                let found = try await channel.retrieve(for: context(user), limit: 50)
                recall[channel.name, default: 0] += Double(found.filter { truth.contains($0.item) }.count) / Double(truth.count) / Double(users.count)
            }
        }
        for name in ["itemcf", "swing", "usercf"] {
            #expect(recall[name]! > 1.5 * recall["latest"]!, "\(name) \(recall[name]!) vs latest \(recall["latest"]!)")
        }
    }
}
