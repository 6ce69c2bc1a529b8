import Foundation
import FunnelData
import FunnelPipeline
import FunnelStore

/// Training the feed's ranker, for `funnel train ranker` and the quickstart.
enum RankerCommand {
    /// Reads the catalogue and the events of a store, then trains and saves the ranker.
    @discardableResult
    static func train(store: any Store, configuration: PipelineConfiguration = PipelineConfiguration()) async throws -> RankerTraining.Outcome {
        try await train(store: store, data: try await read(store), configuration: configuration)
    }

    static func read(_ store: any Store) async throws -> (items: [Item], events: [Event]) {
        let start = Date()
        let items = try await PipelineLoader.catalogue(store)
        let events = try await PipelineLoader.events(store)
        print("read \(items.count) items and \(events.count) events in \(String(format: "%.1f s", Date().timeIntervalSince(start)))")
        return (items, events)
    }

    @discardableResult
    static func train(store: any Store, data: (items: [Item], events: [Event]), configuration: PipelineConfiguration) async throws -> RankerTraining.Outcome {
        let start = Date()
        let (items, events) = data
        let outcome = try await RankerTraining.train(items: items, events: events, configuration: configuration)
        let version = try await PipelineLoader.save(outcome, to: store)
        let r = outcome.report
        print(String(format: "ranker: %d exposures (%d clicked), %d epochs; validation AUC %.4f (untrained order %.4f), log loss %.4f; saved as version %@ in %.1f s",
                     r.examples, r.positives, r.epochs, r.validationAUC, outcome.fusionAUC, r.validationLogLoss, version, Date().timeIntervalSince(start)))
        return outcome
    }
}
