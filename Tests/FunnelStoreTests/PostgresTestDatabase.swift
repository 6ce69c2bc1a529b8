import Foundation
import FunnelStore
import FunnelTestSupport

/// A fresh database on the test server, so concurrent tests never see each other's rows.
struct PostgresTestDatabase {
    let name: String
    let url: String

    static func create() async throws -> PostgresTestDatabase {
        let name = "funnel_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresStore.connect(PostgresTestServer.url).execute("CREATE DATABASE \(name)")
        var components = URLComponents(string: PostgresTestServer.url)!
        components.path = "/" + name
        return PostgresTestDatabase(name: name, url: components.string!)
    }

    func drop() async throws {
        try await PostgresStore.connect(PostgresTestServer.url).execute("DROP DATABASE \(name) WITH (FORCE)")
    }
}
