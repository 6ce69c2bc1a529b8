import Foundation
import FunnelData
import FunnelPipeline
import FunnelRanking
import FunnelStore
import Testing

/// The API over real HTTP against a server on SQLite: what is written is read back, and every
/// kind of bad input gets a 4xx naming what was wrong, with nothing stored lost or changed.
@Suite struct APITests {
    static let items = """
        [{"id": "i1", "categories": ["games/puzzle"], "authorID": "a1", "createdAt": "2026-11-01T10:00:00Z"},
         {"id": "i2", "tags": ["new"], "numeric": {"price": 3.5}},
         {"id": "i3"}]
        """
    static let events = """
        [{"userID": "u1", "itemID": "i1", "type": "click", "timestamp": "2026-11-02T10:00:00Z", "context": {"city": "Lyon"}},
         {"userID": "u1", "itemID": "i2", "type": "like", "timestamp": "2026-11-02T11:00:00.250Z"},
         {"userID": "u2", "itemID": "i1", "type": "exposure", "timestamp": "2026-11-02T12:00:00Z"}]
        """

    @Test func writesAreReadBack() async throws {
        try await TestServer.with { server in
            #expect(try await server.call("GET", "/v1/health", key: nil).status == 200)
            let notReady = try await server.call("GET", "/v1/ready", key: nil)
            #expect(notReady.status == 503 && notReady.body.count > 0, "no pipeline built yet")
            let users = try await server.call("POST", "/v1/users", json: #"[{"id": "u1", "categorical": {"gender": "f"}, "home": {"latitude": 45.76, "longitude": 4.84}}, {"id": "u2"}]"#)
            #expect(users.status == 200 && (users.json as? [String: Int])?["upserted"] == 2)
            #expect(try await server.call("POST", "/v1/items", json: Self.items).status == 200)
            let inserted = try await server.call("POST", "/v1/events", json: Self.events)
            #expect(inserted.status == 200 && (inserted.json as? [String: Int])?["inserted"] == 3, "\(inserted.message)")

            let item = try await server.call("GET", "/v1/items/i1", key: nil)
            let fields = item.json as? [String: Any]
            #expect(fields?["authorID"] as? String == "a1" && fields?["categories"] as? [String] == ["games/puzzle"])
            #expect(fields?["createdAt"] as? String == "2026-11-01T10:00:00Z")
            let user = try await server.call("GET", "/v1/users/u1", key: nil).json as? [String: Any]
            #expect((user?["categorical"] as? [String: String]) == ["gender": "f"])
            let history = try await server.call("GET", "/v1/users/u1/history?n=10", key: nil).json as? [[String: Any]]
            #expect(history?.map { $0["itemID"] as? String } == ["i2", "i1"], "newest first")
            #expect((history?.last?["context"] as? [String: String])?["city"] == "Lyon")

            #expect(try await server.call("POST", "/v1/items/i2/hide").status == 200)
            #expect((try await server.call("GET", "/v1/items/i2", key: nil).json as? [String: Any])?["isHidden"] as? Bool == true)
            #expect(try await server.call("DELETE", "/v1/items/i3").status == 200)
            #expect(try await server.call("GET", "/v1/items/i3", key: nil).status == 404)
        }
    }

    /// Each bad request: its status and a phrase its message must hold.
    @Test func badInputGetsAClearClientError() async throws {
        try await TestServer.with({ $0.maximumBatch = 5; $0.maximumBodyBytes = 4_096 }) { server in
            #expect(try await server.call("POST", "/v1/items", json: Self.items).status == 200)
            #expect(try await server.call("POST", "/v1/events", json: Self.events).status == 200)
            let many = "[" + (0..<6).map { #"{"id": "x\#($0)"}"# }.joined(separator: ",") + "]"
            let huge = "[" + String(repeating: #"{"id": "padding-padding-padding"},"#, count: 200) + #"{"id": "last"}]"#
            let cases: [(String, String, String?, String?, Int, String)] = [
                ("POST", "/v1/items", #"[{"id": "i9", "tags": ["a"]"#, TestServer.key, 400, "malformed JSON"),
                ("POST", "/v1/items", #"[{"id": 5}]"#, TestServer.key, 400, "record 0, field 'id': expected a string"),
                ("POST", "/v1/items", #"{"id": "i9"}"#, TestServer.key, 400, "expected an array"),
                ("POST", "/v1/items", "[]", TestServer.key, 400, "empty batch"),
                ("POST", "/v1/items", "", TestServer.key, 400, "empty request body"),
                ("POST", "/v1/events", #"[{"userID": "u1", "itemID": "i1", "type": "click"}]"#, TestServer.key, 400, "record 0, field 'timestamp': missing"),
                ("POST", "/v1/events", #"[{"userID": "u1", "itemID": "i1", "type": "clack", "timestamp": "2026-11-02T10:00:00Z"}]"#,
                 TestServer.key, 400, "record 0, field 'type'"),
                ("POST", "/v1/events", #"[{"userID": "u1", "itemID": "i1", "type": "click", "timestamp": "yesterday"}]"#,
                 TestServer.key, 400, "record 0, field 'timestamp'"),
                ("POST", "/v1/events", #"[{"userID": "u1", "itemID": "i1", "type": "click", "timestamp": "2026-11-02T10:00:00Z", "context": {"hour": 25}}]"#,
                 TestServer.key, 400, "record 0: event click of user 'u1' on item 'i1': context.hour must be 0–23"),
                ("POST", "/v1/events", #"[{"userID": "u1", "itemID": "nope", "type": "click", "timestamp": "2026-11-02T10:00:00Z"}]"#,
                 TestServer.key, 404, "unknown item ids (upsert the items first): nope"),
                ("PUT", "/v1/items", #"[{"id": "i9"}]"#, TestServer.key, 405, "PUT is not allowed here; use POST"),
                ("GET", "/v1/items/i1/hide", nil, nil, 405, "use POST"),
                ("POST", "/v1/users", #"[{"id": ""}]"#, TestServer.key, 400, "record 0: user '': id"),
                ("POST", "/v1/items", many, TestServer.key, 413, "batch of 6 records exceeds the limit of 5"),
                ("POST", "/v1/items", huge, TestServer.key, 413, "exceeds 4096 bytes"),
                ("POST", "/v1/items", #"[{"id": "i9"}]"#, nil, 401, "missing API key"),
                ("POST", "/v1/items", #"[{"id": "i9"}]"#, "wrong", 401, "unknown API key"),
                ("DELETE", "/v1/items/i1", nil, nil, 401, "missing API key"),
                ("DELETE", "/v1/items/nope", nil, TestServer.key, 404, "no item 'nope'"),
                ("POST", "/v1/items/nope/hide", nil, TestServer.key, 404, "no item 'nope'"),
                ("GET", "/v1/items/nope", nil, nil, 404, "no item 'nope'"),
                ("GET", "/v1/users/u1/history?n=0", nil, nil, 400, "'n' must be an integer from 1 to 1000, got '0'"),
                ("GET", "/v1/users/u1/history?n=ten", nil, nil, 400, "'n' must be an integer"),
            ]
            for (method, path, body, key, status, phrase) in cases {
                let reply = try await server.call(method, path, body: body.map { Data($0.utf8) }, key: key)
                #expect(reply.status == status, "\(method) \(path) \(body ?? ""): \(reply.status) \(reply.message)")
                #expect(reply.message.contains(phrase), "\(method) \(path): '\(reply.message)' lacks '\(phrase)'")
            }
            // Still up, and nothing stored was lost or changed by the refused writes.
            #expect(try await server.call("GET", "/v1/health", key: nil).status == 200)
            let stored = try await server.store.items(["i1", "i2", "i3", "i9", "x0", "last"]).map(\.id).sorted()
            #expect(stored == ["i1", "i2", "i3"])
            #expect(try await server.store.events(user: "u1", limit: 10).count == 2)
        }
    }

    /// A world of 60 items in three topics, twelve users with clicks on their topic.
    static func smallWorld(_ server: TestServer) async throws {
        let topics = ["games/puzzle", "games/action", "music/jazz"]
        let items = (0..<60).map { #"{"id": "i\#($0)", "categories": ["\#(topics[$0 % 3])"], "createdAt": "2026-11-0\#(1 + $0 % 9)T00:00:00Z"}"# }
        #expect(try await server.call("POST", "/v1/items", json: "[" + items.joined(separator: ",") + "]").status == 200)
        var events: [String] = []
        for user in 0..<12 {
            for k in 0..<8 {
                let item = (user % 3) + 3 * ((user / 3 + k) % 20)
                events.append(#"{"userID": "u\#(user)", "itemID": "i\#(item)", "type": "click", "timestamp": "2026-11-20T\#(10 + k):00:00Z"}"#)
            }
        }
        #expect(try await server.call("POST", "/v1/events", json: "[" + events.joined(separator: ",") + "]").status == 200)
        let reload = try await server.call("POST", "/v1/admin/reload")
        #expect(reload.status == 200, "\(reload.message)")
    }

    @Test func feedServesFiltersAndExplains() async throws {
        try await TestServer.with { server in
            #expect(try await server.call("GET", "/v1/feed/u1", key: nil).status == 503, "no pipeline yet")
            try await Self.smallWorld(server)
            #expect(try await server.call("GET", "/v1/ready", key: nil).status == 200)
            let clicked = Set((try await server.store.events(user: "u1", limit: 100)).map(\.itemID))

            let first = try await server.call("GET", "/v1/feed/u1?n=6&explain=true", key: nil)
            #expect(first.status == 200, "\(first.message)")
            let body = first.json as? [String: Any]
            let items = (body?["items"] as? [[String: Any]])?.compactMap { $0["item"] as? String } ?? []
            #expect(items.count == 6 && Set(items).count == 6)
            #expect(clicked.isDisjoint(with: items), "what the user clicked is not offered again")
            let explanation = body?["explanation"] as? [String: Any]
            #expect((explanation?["retrievedByChannel"] as? [String: Int])?["itemcf"] ?? 0 > 0)
            #expect((explanation?["removedByFilter"] as? [String: Int])?["acted-on"] ?? 0 > 0)
            #expect(explanation?["ranker"] as? String == "reciprocal-rank-fusion")
            #expect(((body?["items"] as? [[String: Any]])?.first?["channels"] as? [[String: Any]])?.isEmpty == false)

            let second = try await server.call("GET", "/v1/feed/u1?n=6", key: nil).json as? [String: Any]
            let again = (second?["items"] as? [[String: Any]])?.compactMap { $0["item"] as? String } ?? []
            #expect(!again.isEmpty && Set(again).isDisjoint(with: items), "what was shown stays out of the next feed")

            let cold = try await server.call("GET", "/v1/feed/newcomer?n=5&location=48.85,2.35", key: nil).json as? [String: Any]
            #expect((cold?["items"] as? [Any])?.count == 5, "a user with no history gets a feed")

            #expect(try await server.call("POST", "/v1/items/i0/hide").status == 200)
            for user in 2..<12 {
                let feed = try await server.call("GET", "/v1/feed/u\(user)?n=20", key: nil).json as? [String: Any]
                #expect((feed?["items"] as? [[String: Any]])?.contains { $0["item"] as? String == "i0" } == false, "a hidden item is never served")
            }
            let popular = try await server.call("GET", "/v1/popular?n=3", key: nil).json as? [String: [String]]
            #expect(popular?["items"]?.count == 3 && popular?["items"]?.contains("i0") == false)
            #expect(try await server.call("GET", "/v1/latest?n=4", key: nil).status == 200)
            let similar = try await server.call("GET", "/v1/items/i1/similar?n=5", key: nil)
            #expect(similar.status == 200 && ((similar.json as? [String: Any])?["items"] as? [Any])?.isEmpty == false)
            for (path, phrase) in [("/v1/feed/u1?n=0", "'n' must be an integer from 1 to 500"), ("/v1/feed/u1?explain=maybe", "'explain' must be true or false"),
                                   ("/v1/feed/u1?location=48.8", "'location' must be latitude,longitude"), ("/v1/feed/u1?location=91,0", "got '91,0'"),
                                   ("/v1/items/nope/similar", "no item 'nope'")] {
                let reply = try await server.call("GET", path, key: nil)
                #expect((400..<500).contains(reply.status) && reply.message.contains(phrase), "\(path): \(reply.status) \(reply.message)")
            }
            // The exposures reach the event log within the writer's flush interval.
            try await Task.sleep(for: .milliseconds(600))
            let logged = try await server.store.events(user: "u1", limit: 100).filter { $0.type == .exposure }.map(\.itemID)
            #expect(Set(logged) == Set(items + again))
        }
    }

    /// `/metrics` in Prometheus text: requests per route and status, each feed stage and channel
    /// timed, events counted. The registry is the process's, shared with the suites running
    /// beside this one, so counts are at least what this test did.
    @Test func metricsCountRequestsAndStages() async throws {
        try await TestServer.with { server in
            try await Self.smallWorld(server)
            for user in 0..<5 {
                #expect(try await server.call("GET", "/v1/feed/u\(user)?n=5", key: nil).status == 200)
            }
            let explained = try await server.call("GET", "/v1/feed/u6?n=5&explain=true", key: nil).json as? [String: Any]
            let stages = (explained?["explanation"] as? [String: Any])?["stageMilliseconds"] as? [String: Double]
            #expect(Set(stages?.keys.map { $0 } ?? []) == ["retrieve", "filter", "pre-rank", "rank", "rerank"] && stages?.values.allSatisfy { $0 >= 0 } == true)

            let reply = try await server.call("GET", "/metrics", key: nil)
            #expect(reply.status == 200)
            let lines = String(decoding: reply.body, as: UTF8.self).split(separator: "\n")
            func value(_ name: String, _ labels: String...) -> Double? {
                lines.first { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) || $0.hasPrefix(name + " ") }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
            }
            #expect(value("funnel_http_requests_total", #"route="/v1/feed/{user}""#, #"status="200""#) ?? 0 >= 6)
            #expect(value("funnel_http_request_duration_seconds_count", #"route="/v1/feed/{user}""#, #"status="200""#) ?? 0 >= 6)
            for stage in ["retrieve", "filter", "pre-rank", "rank", "rerank"] {
                #expect(value("funnel_feed_stage_duration_seconds_count", #"stage="\#(stage)""#) ?? 0 >= 6, "\(stage)")
            }
            #expect(value("funnel_feed_stage_duration_seconds_sum", #"stage="retrieve""#) ?? 0 > 0)
            #expect(value("funnel_channel_duration_seconds_count", #"channel="itemcf""#) ?? 0 >= 6)
            #expect(value("funnel_events_ingested_total") ?? 0 >= 96)
            #expect(value("funnel_pipeline_reloads_total") ?? 0 >= 1)
            #expect(value("funnel_pipeline_items_count") != nil)
        }
    }

    /// A reload reads the configuration file again: a channel turned off there is gone from the
    /// next feeds; a broken file is refused and the previous pipeline keeps serving.
    @Test func reloadReadsTheConfigurationAgain() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "[pipeline]\nmmrLambda = 0.7\n".write(to: file, atomically: true, encoding: .utf8)
        try await TestServer.with(configurationFile: file) { (server: TestServer) async throws in
            try await Self.smallWorld(server)
            func channels() async throws -> [String: Int] {
                let feed = try await server.call("GET", "/v1/feed/newcomer?n=5&explain=true", key: nil).json as? [String: Any]
                return (feed?["explanation"] as? [String: Any])?["retrievedByChannel"] as? [String: Int] ?? [:]
            }
            #expect(try await channels()["latest"] ?? 0 > 0)
            try "[pipeline]\nranker = \"logistic-regression\"\n[pipeline.quotas]\nlatest = 0\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try await server.call("POST", "/v1/admin/reload").status == 200)
            #expect(try await channels()["latest"] == nil, "the channel turned off in the file")
            try "[pipeline]\nmmrLamda = 0.7\n".write(to: file, atomically: true, encoding: .utf8)
            let refused = try await server.call("POST", "/v1/admin/reload")
            #expect(refused.status == 400 && refused.message.contains("unknown key pipeline.mmrLamda"), "\(refused.message)")
            #expect(try await server.call("GET", "/v1/feed/u1?n=3", key: nil).status == 200, "the previous pipeline serves on")
        }
    }

    /// `rebuildEverySeconds` rebuilds the pipeline from the store on schedule, with nothing
    /// else changed; 0 never does.
    @Test(arguments: [1.0, 0]) func rebuildsOnSchedule(every seconds: Double) async throws {
        try await TestServer.with({ $0.reloadCheckSeconds = 0.1; $0.rebuildEverySeconds = seconds }) { (server: TestServer) async throws in
            try await Self.smallWorld(server)
            func version() async throws -> String? {
                let feed = try await server.call("GET", "/v1/feed/newcomer?n=3&explain=true", key: nil).json as? [String: Any]
                return (feed?["explanation"] as? [String: Any])?["pipelineVersion"] as? String
            }
            let first = try #require(try await version())
            var rebuilt = false
            for _ in 0..<30 where !rebuilt {
                try await Task.sleep(for: .milliseconds(100))
                rebuilt = try await version() != first
            }
            let last = try await version() ?? "none"
            #expect(rebuilt == (seconds > 0), "versions: \(first), then \(last)")
        }
    }

    /// With no admin call, the server reloads when its configuration file changes and when a
    /// newer ranker is saved in the store; feeds keep answering throughout.
    @Test func reloadsOnItsOwnWhenTheFileOrTheRankerChanges() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "[pipeline]\nmmrLambda = 0.7\n".write(to: file, atomically: true, encoding: .utf8)
        try await TestServer.with({ $0.reloadCheckSeconds = 0.1 }, configurationFile: file) { (server: TestServer) async throws in
            try await Self.smallWorld(server)
            func feed() async throws -> [String: Any] {
                let reply = try await server.call("GET", "/v1/feed/newcomer?n=5&explain=true", key: nil)
                #expect(reply.status == 200)
                return (reply.json as? [String: Any])?["explanation"] as? [String: Any] ?? [:]
            }
            /// Polls feeds until `condition` holds, for at most five seconds.
            func eventually(_ condition: ([String: Any]) -> Bool) async throws -> Bool {
                for _ in 0..<100 {
                    if condition(try await feed()) { return true }
                    try await Task.sleep(for: .milliseconds(50))
                }
                return false
            }
            #expect(try await feed()["retrievedByChannel"].flatMap { ($0 as? [String: Int])?["latest"] } ?? 0 > 0)
            try "[pipeline]\nranker = \"logistic-regression\"\n[pipeline.quotas]\nlatest = 0\n".write(to: file, atomically: true, encoding: .utf8)
            #expect(try await eventually { ($0["retrievedByChannel"] as? [String: Int])?["latest"] == nil }, "the file's change is served")

            // A ranker trained on a feature this pipeline lacks is read, set aside, and said so.
            let saved = try LogisticRanker(featureNames: ["x"], mean: [0], deviation: [1], weights: [1], bias: 0)
                .saved(version: "42.000", report: nil, window: nil)
            try await server.store.saveArtifact(StoredArtifact(name: LogisticRanker.modelName, version: "42.000", createdAt: Date(),
                                                               manifest: saved.manifest, blob: saved.weights))
            #expect(try await eventually {
                ($0["pipelineVersion"] as? String)?.hasSuffix("-42.000") == true
                    && ($0["rankerNotice"] as? String)?.contains("retrain it with 'funnel train ranker'") == true
                    && $0["ranker"] as? String == "reciprocal-rank-fusion"
            }, "the new ranker is read, and set aside with what to do")
        }
    }

    @Test func readsCanRequireAKey() async throws {
        try await TestServer.with({ $0.readsNeedKey = true }) { (server: TestServer) async throws in
            #expect(try await server.call("GET", "/v1/items/i1", key: nil).status == 401)
            #expect(try await server.call("GET", "/v1/items/i1").status == 404)
            #expect(try await server.call("GET", "/v1/health", key: nil).status == 200, "health stays open")
        }
    }
}
