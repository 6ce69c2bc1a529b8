import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import FunnelServer
import FunnelStore
import Hummingbird
import Logging

/// A Funnel server on a SQLite file of its own, on a free port, over real HTTP.
struct TestServer {
    static let key = "test-key"
    let base: URL
    let store: any Store

    /// Runs `body` against a fresh server, then stops it and removes its store.
    static func with(_ configure: (inout ServerConfiguration) -> Void = { _ in }, configurationFile: URL? = nil,
                     _ body: (TestServer) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await with(store: try SQLiteStore(path: folder.appendingPathComponent("funnel.sqlite").path), configure, configurationFile: configurationFile, body)
    }

    /// Runs `body` against a server on `store`, then stops it.
    static func with(store: any Store, _ configure: (inout ServerConfiguration) -> Void = { _ in }, configurationFile: URL? = nil,
                     _ body: (TestServer) async throws -> Void) async throws {
        var configuration = ServerConfiguration(port: 0, apiKeys: [key])
        configuration.buildAtStart = false   // the tests build with POST /v1/admin/reload
        configure(&configuration)
        let (ports, announce) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "funnel.test-server")
        logger.logLevel = .critical   // stopping by cancellation logs an error that is expected here
        let app = FunnelAPI(store: store, configuration: configuration, configurationFile: configurationFile, logger: logger)
            .application(logger: logger) { announce.yield($0) }
        let running = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        do {
            try await body(TestServer(base: URL(string: "http://127.0.0.1:\(port)")!, store: store))
        } catch {
            running.cancel()
            throw error
        }
        running.cancel()
        _ = await running.result
    }

    struct Reply {
        let status: Int
        let body: Data
        /// The body as JSON (nil when it is not).
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        /// The message of an error reply.
        var message: String { ((json as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? String(decoding: body, as: UTF8.self) }
    }

    /// One request; `key` nil sends none.
    func call(_ method: String, _ path: String, body: Data? = nil, key: String? = TestServer.key) async throws -> Reply {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let key { request.setValue(key, forHTTPHeaderField: "X-API-Key") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as! HTTPURLResponse).statusCode, body: data)
    }

    func call(_ method: String, _ path: String, json text: String, key: String? = TestServer.key) async throws -> Reply {
        try await call(method, path, body: Data(text.utf8), key: key)
    }
}
