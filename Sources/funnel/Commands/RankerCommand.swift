import Foundation
import FunnelPipeline
import FunnelStore

/// Training the feed's ranker, for `funnel train ranker` and the quickstart.
enum RankerCommand {
    @discardableResult
    static func train(store: any Store, configuration: PipelineConfiguration = PipelineConfiguration()) async throws -> RankerTraining.Outcome {
        let start = Date()
        let items = try await PipelineLoader.catalogue(store)
        let events = try await PipelineLoader.events(store)
        print("ranker: \(items.count) items, \(events.count) events read in \(String(format: "%.1f s", Date().timeIntervalSince(start)))")
        let outcome = try await RankerTraining.train(items: items, events: events, configuration: configuration)
        let version = try await PipelineLoader.save(outcome, to: store)
        let r = outcome.report
        print(String(format: "ranker: %d exposures (%d clicked), %d epochs; validation AUC %.4f (untrained order %.4f), log loss %.4f; saved as version %@ in %.1f s",
                     r.examples, r.positives, r.epochs, r.validationAUC, outcome.fusionAUC, r.validationLogLoss, version, Date().timeIntervalSince(start)))
        return outcome
    }
}
