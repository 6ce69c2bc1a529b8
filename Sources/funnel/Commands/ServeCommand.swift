import ArgumentParser
import Foundation
import FunnelPipeline
import FunnelServer
import FunnelStore
import Hummingbird
import Logging

/// Serves the JSON API over a store until interrupted (SIGINT or SIGTERM end it gracefully).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API under /v1.",
        discussion: "API keys come from --api-key (repeated) or $FUNNEL_API_KEYS (comma-separated); writes need one."
    )

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store: String = StoreLocation.defaultPath

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .customLong("api-key"), help: "A key that allows writes (repeat for several).")
    var apiKeys: [String] = []

    @Flag(help: "Require a key for reads too.")
    var readsNeedKey = false

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535, got \(port)") }
    }

    func run() async throws {
        var keys = Set(apiKeys)
        if let fromEnvironment = ProcessInfo.processInfo.environment["FUNNEL_API_KEYS"] {
            keys.formUnion(fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let logger = Logger(label: "funnel.server")
        if keys.isEmpty { logger.warning("no API key configured: every write will be refused (use --api-key or FUNNEL_API_KEYS)") }
        let opened = try await StoreLocation.open(store)
        let api = FunnelAPI(store: opened, configuration: ServerConfiguration(host: host, port: port, apiKeys: keys, readsNeedKey: readsNeedKey),
                            logger: logger)
        // The pipeline builds while the server already takes writes; feeds answer 503 until it is in.
        let building = Task {
            let started = Date()
            do {
                let pipeline = try await PipelineLoader.build(opened, configuration: api.pipelineConfiguration)
                api.pipelines.swap(pipeline)
                logger.info("pipeline \(pipeline.version) serving \(pipeline.itemCount) items with \(pipeline.rankerName), built in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            } catch {
                logger.error("pipeline not built: \(error); feeds answer 503 until POST /v1/admin/reload succeeds")
            }
        }
        defer { building.cancel() }
        try await api.application(logger: logger) { port in
            print("Funnel serving http://\(host):\(port)/v1 on \(store)")
        }.runService()
    }
}
