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
        discussion: "API keys come from --api-key (repeated), $FUNNEL_API_KEYS (comma-separated) and the configuration's [server] apiKeys; writes need one. Options on the command line win over the configuration file."
    )

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store: String = StoreLocation.defaultPath

    @Option(help: "A funnel.toml with [server] and [pipeline] tables ([pipeline] is read again when the file changes).")
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1, or the configuration's).")
    var host: String?

    @Option(help: "Port to listen on, 0 for a free one (default 8080, or the configuration's).")
    var port: Int?

    @Option(name: .customLong("api-key"), help: "A key that allows writes (repeat for several).")
    var apiKeys: [String] = []

    @Flag(help: "Require a key for reads too.")
    var readsNeedKey = false

    func validate() throws {
        if let port, !(0...65_535).contains(port) { throw ValidationError("--port must be 0…65535, got \(port)") }
    }

    func run() async throws {
        var server = ServerConfiguration()
        var pipeline = PipelineConfiguration()
        let file = config.map { URL(fileURLWithPath: $0) }
        if let file {
            let loaded = try ConfigurationFile.load(file)
            loaded.apply(to: &server)
            pipeline = loaded.pipeline ?? pipeline
        }
        if let host { server.host = host }
        if let port { server.port = port }
        if readsNeedKey { server.readsNeedKey = true }
        var keys = server.apiKeys.union(apiKeys)
        if let fromEnvironment = ProcessInfo.processInfo.environment["FUNNEL_API_KEYS"] {
            keys.formUnion(fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let logger = Logger(label: "funnel.server")
        if keys.isEmpty { logger.warning("no API key configured: every write will be refused (use --api-key or FUNNEL_API_KEYS)") }
        let opened = try await StoreLocation.open(store)
        server.apiKeys = keys
        let api = FunnelAPI(store: opened, configuration: server, pipelineConfiguration: pipeline, configurationFile: file, logger: logger)
        // The pipeline builds while the server already takes writes; feeds answer 503 until it is in.
        try await api.application(logger: logger) { port in
            print("Funnel serving http://\(api.configuration.host):\(port)/v1 on \(store)")
        }.runService()
    }
}
