import Foundation
import FunnelExperiments
import FunnelStore
import Testing

/// Experiments over HTTP: each user is served the pipeline of their arm, the arms are logged
/// with every exposure, `GET /v1/experiments` shows the plan and a user's arms, and a plan the
/// pipeline cannot serve is refused with the previous one serving on.
@Suite struct ExperimentTests {
    static let plan = """
        [experiments]
        holdout = 0.1

        [experiments.only-latest]
        layer = "retrieval"
        traffic = 0.6
        days = 14
        start = "2026-11-21"
        [experiments.only-latest.arms.control]
        [experiments.only-latest.arms.latest.pipeline]
        defaultQuota = 0
        quotas = { latest = 50 }

        [experiments.rerank]
        layer = "rerank"
        [experiments.rerank.arms.control]
        [experiments.rerank.arms.dpp.pipeline]
        reranker = "dpp"
        """

    @Test func usersAreServedAndLoggedByArm() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.plan.write(to: file, atomically: true, encoding: .utf8)
        try await TestServer.with(configurationFile: file) { (server: TestServer) async throws in
            try await APITests.smallWorld(server)
            let shown = try #require(try await server.call("GET", "/v1/experiments", key: nil).json as? [String: Any])
            #expect(shown["holdout"] as? Double == 0.1)
            let experiments = shown["experiments"] as? [[String: Any]] ?? []
            #expect(experiments.compactMap { $0["name"] as? String } == ["only-latest", "rerank"])
            let arms = experiments.first?["arms"] as? [[String: Any]] ?? []
            #expect(arms.compactMap { $0["name"] as? String } == ["control", "latest"])
            #expect(arms.last?["settings"] as? [String] == ["quotas", "defaultQuota"])

            var labels: [String: String] = [:], byArm: [String: Int] = [:]
            for k in 0..<60 {
                let user = "visitor-\(k)"
                let mine = try await server.call("GET", "/v1/experiments?user=\(user)", key: nil).json as? [String: Any]
                let label = try #require((mine?["user"] as? [String: Any])?["label"] as? String)
                labels[user] = label
                let feed = try await server.call("GET", "/v1/feed/\(user)?n=5&explain=true", key: nil).json as? [String: Any]
                let channels = Set(((feed?["explanation"] as? [String: Any])?["retrievedByChannel"] as? [String: Int] ?? [:]).keys)
                let arm = Assignment(label: label)?.arms["only-latest"] ?? (label == "holdout" ? "holdout" : "none")
                byArm[arm, default: 0] += 1
                if arm == "latest" {
                    #expect(channels == ["latest"], "\(user) (\(label)) retrieved by \(channels)")
                } else {
                    #expect(channels.count > 1, "\(user) (\(label)) retrieved by \(channels)")
                }
                if label != "holdout" { #expect(label.contains("rerank="), "every user not held out is in the rerank layer") }
            }
            #expect(byArm["latest", default: 0] > 5 && byArm["control", default: 0] > 5 && byArm["none", default: 0] > 5, "\(byArm)")

            // The exposures reach the log with the arms (the log is written in batches).
            var logged: [String: Set<String>] = [:]
            for _ in 0..<50 where logged.count < labels.count {
                try await Task.sleep(for: .milliseconds(100))
                for user in labels.keys where logged[user] == nil {
                    let exposures = try await server.store.events(user: user, limit: 10).filter { $0.type == .exposure }
                    if !exposures.isEmpty { logged[user] = Set(exposures.map { $0.context.experiments ?? "" }) }
                }
            }
            for (user, label) in labels { #expect(logged[user] == [label], "\(user): logged \(logged[user] ?? []), assigned \(label)") }
        }
    }

    /// Each plan a pipeline cannot serve, and a phrase of the reason the reload gives.
    @Test func plansThePipelineCannotServeAreRefused() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.plan.write(to: file, atomically: true, encoding: .utf8)
        let cases = [
            ("[experiments.x.arms.control]\n[experiments.x.arms.b.pipeline]\nranker = \"logistic-regression\"",
             "an arm's pipeline sets these keys only"),
            ("[experiments.x.arms.control]\n[experiments.x.arms.b]\nreranker = \"dpp\"", "an arm takes share and pipeline"),
            ("[experiments.x]\nlayer = \"l\"\n[experiments.x.arms.control]\n[experiments.x.arms.b.pipeline]\nmmrLambda = 2.0",
             "experiments.x.arms.b: pipeline.mmrLambda must be within 0…1"),
            ("[experiments.x]\nlayer = \"a\"\n[experiments.x.arms.control]\n[experiments.x.arms.b.pipeline]\nmmrLambda = 0.2\n"
                + "[experiments.y]\nlayer = \"b\"\n[experiments.y.arms.control]\n[experiments.y.arms.c.pipeline]\nmmrLambda = 0.9",
             "both set mmrLambda"),
            ("[experiments.x]\n[experiments.x.arms.b.pipeline]\nreranker = \"dpp\"", "experiments.x needs an arm named control"),
            ("[experiments.x]\ntraffic = 1.5\n[experiments.x.arms.control]\n[experiments.x.arms.b]", "traffic must be within (0, 1]"),
            ("[experiments.x]\nstart = \"yesterday\"\n[experiments.x.arms.control]\n[experiments.x.arms.b]", "experiments.x.start must be a date"),
            ("[experiments.x]\nlayr = \"a\"\n[experiments.x.arms.control]\n[experiments.x.arms.b]", "an experiment takes layer, traffic"),
            ("[experiments.x.arms.control]\n[experiments.x.arms.b.pipeline.quotas]\ntwo-tower = 50", "cannot turn it on"),
        ]
        try await TestServer.with(configurationFile: file) { (server: TestServer) async throws in
            try await APITests.smallWorld(server)
            for (table, phrase) in cases {
                try "[pipeline.quotas]\ntwo-tower = 0\n\(table)\n".write(to: file, atomically: true, encoding: .utf8)
                let refused = try await server.call("POST", "/v1/admin/reload")
                #expect(refused.status == 400 && refused.message.contains(phrase), "\(phrase): \(refused.status) \(refused.message)")
                #expect(try await server.call("GET", "/v1/feed/u1?n=3", key: nil).status == 200, "the previous pipeline serves on")
            }
        }
    }

    /// A running experiment keeps its users: a reload whose plan would move them (here, an
    /// experiment added before it in its layer) is refused, naming it, with the way to keep
    /// them, by the server serving it and by a server started later over the same store; the
    /// same change with the offset goes through.
    @Test func aReloadNeverMovesAssignedUsers() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-\(UUID().uuidString).toml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Self.plan.write(to: file, atomically: true, encoding: .utf8)
        let added = "\n[experiments.a-first]\nlayer = \"retrieval\"\ntraffic = 0.2\n[experiments.a-first.arms.control]\n[experiments.a-first.arms.b]\n"
        let store = try SQLiteStore.inMemory()
        try await TestServer.with(store: store) { (server: TestServer) async throws in
            try await APITests.smallWorld(server)
        }
        try await TestServer.with(store: store, configurationFile: file) { (server: TestServer) async throws in
            #expect(try await server.call("POST", "/v1/admin/reload").status == 200)
        }
        try (Self.plan + added).write(to: file, atomically: true, encoding: .utf8)
        try await TestServer.with(store: store, configurationFile: file) { (server: TestServer) async throws in
            let refused = try await server.call("POST", "/v1/admin/reload")
            #expect(refused.status == 400 && refused.message.contains("experiment 'only-latest': its buckets move"), "a restarted server: \(refused.message)")
        }
        try Self.plan.write(to: file, atomically: true, encoding: .utf8)
        try await TestServer.with(store: store, configurationFile: file) { (server: TestServer) async throws in
            #expect(try await server.call("POST", "/v1/admin/reload").status == 200)
            let arms = try await server.call("GET", "/v1/experiments?user=u1", key: nil).json as? NSDictionary
            try (Self.plan + added).write(to: file, atomically: true, encoding: .utf8)
            let refused = try await server.call("POST", "/v1/admin/reload")
            #expect(refused.status == 400 && refused.message.contains("experiment 'only-latest': its buckets move from 0..<6000 to 2000..<8000")
                    && refused.message.contains("offset = 0.0 keeps them"), "\(refused.status) \(refused.message)")
            #expect(try await server.call("GET", "/v1/experiments?user=u1", key: nil).json as? NSDictionary == arms, "the plan serving is unchanged")
            try (Self.plan.replacingOccurrences(of: "traffic = 0.6", with: "traffic = 0.6\noffset = 0.0") + added.replacingOccurrences(of: "traffic = 0.2", with: "traffic = 0.2\noffset = 0.6"))
                .write(to: file, atomically: true, encoding: .utf8)
            let accepted = try await server.call("POST", "/v1/admin/reload")
            #expect(accepted.status == 200, "\(accepted.message)")
        }
    }
}
