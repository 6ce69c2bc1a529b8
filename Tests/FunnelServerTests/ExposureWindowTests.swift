import Foundation
import FunnelPipeline
import FunnelServer
import FunnelStore
import Testing

/// The server's exposure filters span `[pipeline] exposureDays`, not a fixed week.
@Suite struct ExposureWindowTests {
    /// Whether an item shown at a time is still filtered `days` later, on a server whose
    /// pipeline configuration keeps `exposureDays`.
    static func stillFiltered(exposureDays: Int, after days: Double) throws -> Bool {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-window-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var pipeline = PipelineConfiguration()
        pipeline.exposureDays = exposureDays
        let api = FunnelAPI(store: try SQLiteStore(path: path), configuration: ServerConfiguration(port: 0, apiKeys: ["k"]),
                            pipelineConfiguration: pipeline)
        let shown = Date(timeIntervalSince1970: 1_780_000_000)
        api.pipelines.state.recordExposures(["item-1"], to: "u", at: shown)
        let filter = try #require(api.pipelines.state.view(for: "u").exposures)
        return filter.contains("item-1", now: shown.addingTimeInterval(days * 86_400))
    }

    @Test func windowFollowsConfiguration() throws {
        #expect(try Self.stillFiltered(exposureDays: 2, after: 0.5))
        #expect(try !Self.stillFiltered(exposureDays: 2, after: 3))
        #expect(try Self.stillFiltered(exposureDays: 7, after: 3))
        #expect(try !Self.stillFiltered(exposureDays: 7, after: 8))
        #expect(try Self.stillFiltered(exposureDays: 30, after: 20))
    }
}
