import Foundation
import FunnelData
import FunnelIndex
import FunnelRetrieval

/// Every retrieval channel on a simulated feed: the indexes are built from all days but the last,
/// and the last day's positive actions are what each channel should have found. Users' exposure
/// filters hold what they were shown in the week before.
public struct SimulatedRetrieval: Sendable {
    public let indexes: RetrievalIndexes
    let availability: AvailabilityFilter
    /// Where each user is (their home city's centre).
    let homes: [String: GeoPoint]
    /// The start of the last day: the moment of every request.
    public let now: Date
    /// Per user: the items they acted on positively on the last day.
    public let heldOut: [String: Set<String>]
    /// Per user: the exposure filter at `now`.
    let exposures: [String: ExposureFilter]
    /// Events the indexes were built from (those carrying interest, before `now`).
    public let trainingEvents: Int

    public init(_ configuration: FeedWorld.Configuration, parameters: RetrievalIndexes.Parameters = .init()) throws {
        let world = try FeedWorld(configuration)
        let simulation = FeedSimulation(world: world, batchSize: 100_000)
        now = configuration.start.addingTimeInterval(Double(configuration.days - 1) * 86_400)
        let weights = InterestWeights.standard
        var items: [Item] = [], homes: [String: GeoPoint] = [:]
        var training: [Event] = [], heldOut: [String: Set<String>] = [:], exposures: [String: ExposureFilter] = [:]
        let windowStart = now.addingTimeInterval(-7 * 86_400)
        // Filters sized for ten times a user's mean daily exposures.
        var exposureConfiguration = ExposureFilter.Configuration()
        exposureConfiguration.expectedPerSegment = max(100, Int(10 * configuration.sessionsPerDay * Double(configuration.feedSize)))
        while let batch = try simulation.nextBatch() {
            items += batch.items
            for user in batch.users { homes[user.id] = user.home }
            for event in batch.events {
                if event.timestamp >= now {
                    if weights.weight(of: event.type) > 0 { heldOut[event.userID, default: []].insert(event.itemID) }
                } else if event.type == .exposure {
                    if event.timestamp >= windowStart { exposures[event.userID, default: ExposureFilter(exposureConfiguration)].insert(event.itemID, at: event.timestamp) }
                } else if event.type != .view {
                    training.append(event)
                }
            }
        }
        self.homes = homes
        self.heldOut = heldOut
        self.exposures = exposures
        trainingEvents = training.count
        availability = AvailabilityFilter(catalogue: items)
        indexes = RetrievalIndexes(items: items, events: training, now: now, parameters: parameters)
    }

    /// The request of `user` at `now`: their recent actions and home.
    public func context(for user: String) -> RetrievalContext {
        indexes.context(for: user, now: now, location: homes[user])
    }

    /// The feed's retriever for `user`: the given channels, then the exposure, availability and dislike filters.
    public func retriever(for user: String, sources: [MultiChannelRetriever.Source]) -> MultiChannelRetriever {
        var filters: [any CandidateFilter] = [availability, DislikedFilter()]
        if let shown = exposures[user] { filters.insert(ExposedFilter(shown), at: 0) }
        return MultiChannelRetriever(sources: sources, filters: filters)
    }

    /// Recall of the last day's positives: per channel alone at its quota, and for all channels
    /// merged, averaged over those of `users` with held-out items; also the mean candidate counts.
    public func recall(users: [String], sources: [MultiChannelRetriever.Source]) async -> [(channel: String, recall: Double, candidates: Double)] {
        let users = users.filter { heldOut[$0]?.isEmpty == false }
        var rows: [(String, [MultiChannelRetriever.Source])] = sources.map { ($0.channel.name, [$0]) }
        rows.append(("all", sources))
        var result: [(channel: String, recall: Double, candidates: Double)] = []
        for (name, chosen) in rows {
            var recall = 0.0, candidates = 0
            for user in users {
                let truth = heldOut[user]!
                let found = await retriever(for: user, sources: chosen).retrieve(for: context(for: user)).candidates
                candidates += found.count
                recall += Double(found.filter { truth.contains($0.item) }.count) / Double(truth.count)
            }
            result.append((name, recall / Double(users.count), Double(candidates) / Double(users.count)))
        }
        return result
    }
}
