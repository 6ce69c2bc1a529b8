import FunnelData

/// The catalogue and event log of a small simulated feed, for the tests that train on one.
public func simulatedLog(seed: UInt64, users: Int, items: Int, authors: Int, days: Int) -> (items: [Item], events: [Event]) {
    var configuration = FeedWorld.Configuration()
    (configuration.seed, configuration.users, configuration.items, configuration.authors, configuration.days) = (seed, users, items, authors, days)
    let simulation = FeedSimulation(world: try! FeedWorld(configuration), batchSize: 50_000)
    var catalogue: [Item] = [], events: [Event] = []
    while let batch = try! simulation.nextBatch() {
        catalogue += batch.items
        events += batch.events
    }
    return (catalogue, events)
}
