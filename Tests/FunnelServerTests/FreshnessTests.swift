import Foundation
import Testing

/// What is written reaches the feeds at once, without a rebuild: a new item is in the latest
/// list, in the feed of a user who follows its author and in the nearby channel of a request
/// near its place; a hidden item leaves them; engagement lifts an item in the popular list.
@Suite struct FreshnessTests {
    @Test func newItemIsServedWithoutARebuild() async throws {
        try await TestServer.with { server in
            try await APITests.smallWorld(server)
            let authored = #"[{"id": "by-ada", "categories": ["music/jazz"], "authorID": "ada", "createdAt": "2026-11-01T00:00:00Z"}]"#
            #expect(try await server.call("POST", "/v1/items", json: authored).status == 200)
            let follow = #"[{"userID": "u5", "itemID": "by-ada", "type": "follow-author", "timestamp": "2026-11-21T08:00:00Z"}]"#
            #expect(try await server.call("POST", "/v1/events", json: follow).status == 200)
            #expect(try await server.call("POST", "/v1/admin/reload").status == 200)

            let created = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-5))
            let new = #"[{"id": "fresh-1", "categories": ["music/jazz"], "authorID": "ada", "createdAt": "\#(created)"}]"#
            #expect(try await server.call("POST", "/v1/items", json: new).status == 200)
            let latest = try await server.call("GET", "/v1/latest?n=3", key: nil).json as? [String: [String]]
            #expect(latest?["items"]?.first == "fresh-1")

            let feed = try await server.call("GET", "/v1/feed/u5?n=60&explain=true", key: nil).json as? [String: Any]
            let entry = (feed?["items"] as? [[String: Any]])?.first { $0["item"] as? String == "fresh-1" }
            let channels = (entry?["channels"] as? [[String: Any]])?.compactMap { $0["channel"] as? String } ?? []
            #expect(channels.contains("author-followed") && channels.contains("latest"), "fresh-1 by: \(channels)")

            let placed = #"[{"id": "fresh-2", "location": {"latitude": 48.857, "longitude": 2.353}, "createdAt": "\#(created)"}]"#
            #expect(try await server.call("POST", "/v1/items", json: placed).status == 200)
            let near = try await server.call("GET", "/v1/feed/u7?n=80&explain=true&location=48.8566,2.3522", key: nil).json as? [String: Any]
            let nearEntry = (near?["items"] as? [[String: Any]])?.first { $0["item"] as? String == "fresh-2" }
            #expect((nearEntry?["channels"] as? [[String: Any]])?.contains { $0["channel"] as? String == "nearby" } == true)

            let hidden = #"[{"id": "fresh-1", "authorID": "ada", "createdAt": "\#(created)", "isHidden": true}]"#
            #expect(try await server.call("POST", "/v1/items", json: hidden).status == 200)
            let after = try await server.call("GET", "/v1/feed/u5?n=60", key: nil).json as? [String: Any]
            #expect((after?["items"] as? [[String: Any]])?.contains { $0["item"] as? String == "fresh-1" } == false)
            let latestAfter = try await server.call("GET", "/v1/latest?n=3", key: nil).json as? [String: [String]]
            #expect(latestAfter?["items"]?.contains("fresh-1") == false)
        }
    }

    @Test func engagementLiftsAnItemInThePopularListWithoutARebuild() async throws {
        try await TestServer.with { server in
            try await APITests.smallWorld(server)
            let before = try await server.call("GET", "/v1/popular?n=3", key: nil).json as? [String: [String]]
            #expect(before?["items"]?.contains("i59") == false)
            let now = ISO8601DateFormatter().string(from: Date())
            let likes = (0..<20).map { #"{"userID": "fan\#($0)", "itemID": "i59", "type": "like", "timestamp": "\#(now)"}"# }
            #expect(try await server.call("POST", "/v1/events", json: "[" + likes.joined(separator: ",") + "]").status == 200)
            let after = try await server.call("GET", "/v1/popular?n=3", key: nil).json as? [String: [String]]
            #expect(after?["items"]?.first == "i59", "\(after ?? [:])")
            let feed = try await server.call("GET", "/v1/feed/newcomer?n=60&explain=true", key: nil).json as? [String: Any]
            let entry = (feed?["items"] as? [[String: Any]])?.first { $0["item"] as? String == "i59" }
            let channels = (entry?["channels"] as? [[String: Any]])?.compactMap { $0["channel"] as? String } ?? []
            #expect(channels.contains("popular") && channels.contains("trending"), "i59 by: \(channels)")
        }
    }
}
