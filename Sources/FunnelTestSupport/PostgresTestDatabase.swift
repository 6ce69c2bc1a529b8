import Foundation
import FunnelStore

/// A fresh database on the test server, so concurrent tests never see each other's rows.
public struct PostgresTestDatabase: Sendable {
    public let name: String
    public let url: String

    public static func create() async throws -> PostgresTestDatabase {
        let name = "funnel_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        // From template0, which nobody connects to, and retried: suites running in parallel create
        // databases at the same moment, and PostgreSQL refuses a copy of a template in use.
        for attempt in 1...5 {
            do {
                try await PostgresStore.connect(PostgresTestServer.url).execute("CREATE DATABASE \(name) TEMPLATE template0")
                break
            } catch where attempt < 5 {
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        var components = URLComponents(string: PostgresTestServer.url)!
        components.path = "/" + name
        return PostgresTestDatabase(name: name, url: components.string!)
    }

    public func drop() async throws {
        try await PostgresStore.connect(PostgresTestServer.url).execute("DROP DATABASE \(name) WITH (FORCE)")
    }
}
