import Foundation
import FunnelData
import FunnelPipeline
import FunnelStore
import Hummingbird
import Logging
import ServiceLifecycle

/// The JSON API under `/v1`: batch upserts of users and items, batch inserts of events, hiding and
/// deleting items, reads of what is stored, and, with a pipeline, the feed, similar, popular and
/// latest items and the admin reload; health and readiness. Writes and admin calls need an API
/// key; reads need one when the configuration says so.
public struct FunnelAPI: Sendable {
    public let store: any Store
    public let configuration: ServerConfiguration
    public let pipelines: PipelineHolder
    public let pipelineConfiguration: PipelineConfiguration
    /// A `funnel.toml` whose `[pipeline]` table every reload reads again.
    public let configurationFile: URL?
    let exposures: EventLogWriter
    /// Saves and reads the exposure filters (nil: `exposureSaveSeconds` is 0).
    let exposureFilters: ExposureFilterSync?
    let reloader: PipelineReloader
    let metrics = ServerMetrics.shared

    /// Without `pipelines`, the server starts empty, its exposure filters spanning
    /// `pipelineConfiguration.exposureDays` (read at start; a reload cannot resize live filters).
    /// `experiments` serve until a configuration file's replace them.
    public init(store: any Store, configuration: ServerConfiguration, pipelines: PipelineHolder? = nil,
                pipelineConfiguration: PipelineConfiguration = PipelineConfiguration(), experiments: ExperimentsTable? = nil,
                configurationFile: URL? = nil, logger: Logger = Logger(label: "funnel.server")) {
        self.store = store
        self.configuration = configuration
        let pipelines = pipelines ?? PipelineHolder(state: LiveState(for: pipelineConfiguration))
        self.pipelines = pipelines
        self.pipelineConfiguration = pipelineConfiguration
        self.configurationFile = configurationFile
        exposures = EventLogWriter(store: store, logger: logger, metrics: ServerMetrics.shared)
        if configuration.exposureSaveSeconds > 0 {
            pipelines.state.trackUnsaved()
            exposureFilters = ExposureFilterSync(store: store, state: pipelines.state, saveEvery: .seconds(configuration.exposureSaveSeconds),
                                                 refreshAfter: .seconds(configuration.exposureRefreshSeconds), metrics: ServerMetrics.shared, logger: logger)
        } else {
            exposureFilters = nil
        }
        reloader = PipelineReloader(holder: pipelines, store: store, configuration: pipelineConfiguration, experiments: experiments,
                                    configurationFile: configurationFile, server: configuration, metrics: ServerMetrics.shared, logger: logger)
    }

    /// The routes, ready for an `Application`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: MethodCheckMiddleware(Self.routes))
        let keys = APIKeyMiddleware<BasicRequestContext>(keys: configuration.apiKeys)
        let metrics = self.metrics
        router.get("/v1/health") { _, _ in try JSONBody.response(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/v1/ready") { _, _ in
            do {
                _ = try await store.users([])
            } catch {
                return try JSONBody.response(["status": "store unavailable: \(error)"], status: .serviceUnavailable)
            }
            guard let pipeline = pipelines.current else {
                return try JSONBody.response(["status": "building the pipeline"], status: .serviceUnavailable)
            }
            var status = ["status": "ready", "pipeline": pipeline.version, "ranker": pipeline.rankerName]
            status["rankerNotice"] = pipeline.rankerNotice
            return try JSONBody.response(status)
        }

        let writes = router.group("/v1").add(middleware: keys)
        writes.post("users") { request, _ in
            let users = try await batch([User].self, from: request)
            try validate(users) { try $0.validate() }
            try await store.upsertUsers(users)
            return try JSONBody.response(["upserted": users.count])
        }
        writes.post("items") { request, _ in
            let items = try await batch([Item].self, from: request)
            try validate(items) { try $0.validate() }
            try await store.upsertItems(items)
            pipelines.state.write(items, at: Date())
            return try JSONBody.response(["upserted": items.count])
        }
        writes.post("events") { request, _ in
            let events = try await batch([Event].self, from: request)
            try validate(events) { try $0.validate() }
            let itemIDs = Set(events.map(\.itemID))
            let known = Set(try await store.items(Array(itemIDs)).map(\.id))
            let unknown = itemIDs.subtracting(known).sorted()
            guard unknown.isEmpty else {
                throw HTTPError(.notFound, message: "unknown item ids (upsert the items first): \(unknown.prefix(10).joined(separator: ", "))"
                                + (unknown.count > 10 ? " and \(unknown.count - 10) more" : ""))
            }
            try await store.appendEvents(events)
            metrics.eventsIngested.increment(by: Int64(events.count))
            pipelines.record(events)
            return try JSONBody.response(["inserted": events.count])
        }
        writes.delete("items/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try await store.deleteItem(id) else { throw HTTPError(.notFound, message: "no item '\(id)'") }
            pipelines.state.remove(id)
            return try JSONBody.response(["deleted": id])
        }
        writes.post("items/:id/hide") { _, context in
            let id = try context.parameters.require("id")
            guard try await store.hideItem(id) else { throw HTTPError(.notFound, message: "no item '\(id)'") }
            pipelines.state.remove(id)
            return try JSONBody.response(["hidden": id])
        }
        let feeds = FeedRoutes(holder: pipelines, exposures: exposures, exposureFilters: exposureFilters, reloader: reloader, metrics: metrics)
        writes.post("admin/reload") { _, _ in try await feeds.reload() }

        let scrape = configuration.readsNeedKey ? router.group().add(middleware: keys) : router.group()
        scrape.get("/metrics") { _, _ in
            if let pipeline = pipelines.current { metrics.serving(pipeline) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        let reads = configuration.readsNeedKey ? router.group("/v1").add(middleware: keys) : router.group("/v1")
        reads.get("items/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let item = try await store.items([id]).first else { throw HTTPError(.notFound, message: "no item '\(id)'") }
            return try JSONBody.response(item)
        }
        reads.get("users/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let user = try await store.users([id]).first else { throw HTTPError(.notFound, message: "no user '\(id)'") }
            return try JSONBody.response(user)
        }
        reads.get("feed/:user") { request, context in try await feeds.feed(request, user: try context.parameters.require("user")) }
        reads.get("experiments") { request, _ in try feeds.experiments(request) }
        reads.get("popular") { request, _ in try feeds.ranked(request, latest: false) }
        reads.get("latest") { request, _ in try feeds.ranked(request, latest: true) }
        reads.get("items/:id/similar") { request, context in try feeds.similar(request, item: try context.parameters.require("id")) }
        reads.get("users/:id/history") { request, context in
            let id = try context.parameters.require("id")
            let n = try QueryValues.integer(request, "n", default: 50, range: 1...1_000)
            return try JSONBody.response(try await store.events(user: id, limit: n))
        }
        return router
    }

    /// Every route and its methods (for 405 answers; `OpenAPIDocument` describes the same).
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/openapi.json", [.get]), ("/metrics", [.get]), ("/v1/health", [.get]), ("/v1/ready", [.get]), ("/v1/users", [.post]), ("/v1/items", [.post]),
        ("/v1/events", [.post]), ("/v1/items/:id", [.get, .delete]), ("/v1/items/:id/hide", [.post]), ("/v1/items/:id/similar", [.get]),
        ("/v1/users/:id", [.get]), ("/v1/users/:id/history", [.get]), ("/v1/feed/:user", [.get]), ("/v1/popular", [.get]), ("/v1/experiments", [.get]),
        ("/v1/latest", [.get]), ("/v1/admin/reload", [.post]),
    ]

    /// An application serving the API at the configured address; `onRunning` learns the port
    /// actually bound (useful with port 0).
    public func application(logger: Logger = Logger(label: "funnel.server"),
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Funnel"),
                    services: [exposures, reloader] + (exposureFilters.map { [$0] } ?? []),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) }, logger: logger)
    }

    private func batch<T: Decodable & Collection>(_ type: T.Type, from request: Request) async throws -> T {
        let records = try await JSONBody.decode(T.self, from: request, limit: configuration.maximumBodyBytes)
        guard records.count <= configuration.maximumBatch else {
            throw HTTPError(.contentTooLarge, message: "batch of \(records.count) records exceeds the limit of \(configuration.maximumBatch)")
        }
        guard !records.isEmpty else { throw HTTPError(.badRequest, message: "empty batch: send a JSON array of at least one record") }
        return records
    }

    private func validate<T>(_ records: [T], _ check: (T) throws -> Void) throws {
        for (index, record) in records.enumerated() {
            do { try check(record) } catch let error as ValidationError {
                throw HTTPError(.badRequest, message: "record \(index): \(error)")
            }
        }
    }

}
