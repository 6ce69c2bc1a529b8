import ArgumentParser
import Foundation
import FunnelBench
import FunnelData

/// Load on a running Funnel server: feeds at fixed rates (open loop), optionally a retrain and
/// hot reload during the first rate, then event ingest in batches as fast as the server takes them.
struct LoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a running server: feeds at fixed rates, then event ingest; prints JSON, writes a table with --out.",
        discussion: """
        Each feed goes to a random user u0 … u<users−1> (as `funnel simulate` names them). Feeds are due as a Poisson stream (or evenly spaced, --arrivals uniform), and each latency runs from when the feed was due to the end of the response, so a stalled server is charged for the requests it delayed. With --key, event ingest follows: batches of clicks, two in flight. With --reload-at, the first rate's run also runs --retrain that many seconds in and then asks the server to swap in a rebuilt pipeline (or, with --auto-reload, waits for it to do so on its own), counting the feeds that failed meanwhile.

          funnel quickstart --items 100000 --no-serve --store /tmp/load.sqlite
          funnel serve --store /tmp/load.sqlite --api-key KEY &
          funnel bench load --url http://127.0.0.1:8080 --rates 200 500 1000 --key KEY --server-pid $!
        """
    )

    @Option(help: "The server's base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(parsing: .upToNextOption, help: "Feed requests per second, one run each.")
    var rates: [Double] = [200, 500, 1000]

    @Option(help: "When feeds are due: \(HTTPLoad.Arrivals.allCases.map(\.rawValue).joined(separator: " or ")) (exponential gaps, as from many independent clients).")
    var arrivals: HTTPLoad.Arrivals = .poisson

    @Option(help: "Seconds per rate.")
    var duration: Double = 60

    @Option(help: "Users drawn at random: u0 … u<users−1>.")
    var users = 10_000

    @Option(help: "Item ids i0 … i<items−1> for the ingest batches.")
    var items = 100_000

    @Option(help: "Keep-alive connections for the feeds.")
    var connections = 64

    @Option(help: "An API key: also measures event ingest (writes need a key).")
    var key: String?

    @Option(help: "Events per ingest batch.")
    var batch = 1_000

    @Option(help: "Seconds of event ingest.")
    var ingestSeconds: Double = 20

    @Option(help: "Seconds into the first rate's run to retrain and reload (needs --key).")
    var reloadAt: Double?

    @Option(help: "A shell command run before the reload, e.g. 'funnel train ranker --store S'.")
    var retrain: String?

    @Flag(help: "After --retrain, send no reload request: wait for the server to swap in the new model on its own.")
    var autoReload = false

    @Option(help: "The server's process id: reports its CPU time per request (Linux, from /proc).")
    var serverPid: Int?

    @Option(help: "Write the results as a Markdown table to this file.")
    var out: String?

    @Option(help: "Write every feed request as CSV to this file: rate, seconds from the start to when it was due, latency in ms, failed.")
    var timeline: String?

    func validate() throws {
        guard let parsed = URL(string: url), parsed.host != nil else { throw ValidationError("--url \(url) is not an http://host:port URL") }
        guard rates.allSatisfy({ $0 > 0 }), duration > 0 else { throw ValidationError("--rates and --duration must be positive") }
        guard connections > 0, users > 0, items > 0, batch > 0 else { throw ValidationError("--connections, --users, --items and --batch must be positive") }
        if reloadAt != nil, key == nil { throw ValidationError("--reload-at needs --key (the reload is an admin request)") }
    }

    func run() async throws {
        let parsed = URL(string: url)!
        let load = HTTPLoad(host: parsed.host!, port: parsed.port ?? 80)
        var results: [[String: Any]] = []
        var timelineCSV = "rate,due_s,latency_ms,failed\n"
        for (k, rate) in rates.enumerated() {
            let users = self.users
            let random = LockedRandom(seed: 7 + UInt64(k))
            let serverBefore = serverPid.flatMap(Measure.cpuSeconds(ofProcess:))
            async let reload = k == 0 && key != nil ? reloadDuringRun(load) : nil
            let outcome = try await load.fixedRate(rate, seconds: duration, arrivals: arrivals, connections: connections) { _ in
                HTTPLoad.Request(.GET, "/v1/feed/u\(random.next(below: users))?n=20")
            }
            var result: [String: Any] = [
                "rate": rate, "arrivals": arrivals.rawValue, "requests": outcome.requests, "achieved": Double(outcome.requests) / outcome.seconds,
                "p50_ms": 1000 * outcome.quantile(0.5), "p99_ms": 1000 * outcome.quantile(0.99),
                "max_ms": 1000 * (outcome.latencies.last ?? .nan), "errors": outcome.errors,
                "generator_cores": outcome.cpuSeconds / outcome.seconds,
            ]
            if let before = serverBefore, let after = serverPid.flatMap(Measure.cpuSeconds(ofProcess:)) {
                result["server_cpu_ms_per_request"] = 1000 * (after - before) / Double(outcome.requests)
            }
            if let reload = try await reload { result.merge(reload) { $1 } }
            if timeline != nil {
                for sample in outcome.timeline {
                    timelineCSV += "\(String(format: "%g", rate)),\(String(format: "%.4f", sample.due)),\(String(format: "%.3f", 1000 * sample.latency)),\(sample.failed ? 1 : 0)\n"
                }
            }
            try printJSON(result)
            results.append(result)
        }
        var ingest: [String: Any]?
        if let key {
            ingest = try await measureIngest(load, key: key)
            try printJSON(ingest!)
        }
        try await load.shutdown()
        if let timeline { try timelineCSV.write(toFile: timeline, atomically: true, encoding: .utf8) }
        if let out { try report(results, ingest: ingest).write(toFile: out, atomically: true, encoding: .utf8) }
    }

    /// Waits `reloadAt` seconds, runs `retrain`, then reloads the pipeline (or waits for the
    /// server to): the statuses and seconds taken.
    private func reloadDuringRun(_ load: HTTPLoad) async throws -> [String: Any]? {
        guard let reloadAt else { return nil }
        try await Task.sleep(for: .milliseconds(Int(reloadAt * 1000)))
        let serving = try await servingPipeline(load)
        var result: [String: Any] = [:]
        if let retrain {
            let began = Date()
            result["retrain_status"] = try await Self.shell(retrain)
            result["retrain_seconds"] = Date().timeIntervalSince(began)
        }
        let began = Date()
        if autoReload {
            while try await servingPipeline(load) == serving { try await Task.sleep(for: .milliseconds(500)) }
            result["reload_status"] = "on its own"
        } else {
            result["reload_status"] = try await load.send(.init(.POST, "/v1/admin/reload", headers: [("X-API-Key", key!)])).status
        }
        result["reload_seconds"] = Date().timeIntervalSince(began)
        return result
    }

    /// The version of the pipeline the server is serving, from GET /v1/ready.
    private func servingPipeline(_ load: HTTPLoad) async throws -> String? {
        let body = try await load.send(.init(.GET, "/v1/ready")).body
        return (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["pipeline"] as? String
    }

    private func measureIngest(_ load: HTTPLoad, key: String) async throws -> [String: Any] {
        let (users, items, batch) = (self.users, self.items, self.batch)
        let random = LockedRandom(seed: 11)
        let now = ISO8601DateFormatter().string(from: Date())
        let outcome = try await load.closedLoop(seconds: ingestSeconds, connections: 2) { _ in
            var body = "["
            for k in 0..<batch {
                if k > 0 { body += "," }
                body += #"{"userID":"u\#(random.next(below: users))","itemID":"i\#(random.next(below: items))","type":"click","timestamp":"\#(now)"}"#
            }
            body += "]"
            return HTTPLoad.Request(.POST, "/v1/events", headers: [("X-API-Key", key), ("Content-Type", "application/json")], body: Array(body.utf8))
        }
        let batches = outcome.requests - outcome.errors
        return ["batches": batches, "events_per_s": Double(batches * batch) / outcome.seconds, "errors": outcome.errors]
    }

    private func report(_ results: [[String: Any]], ingest: [String: Any]?) -> String {
        let withServer = results.first?["server_cpu_ms_per_request"] != nil
        var lines = [
            "Measured \(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: .withFullDate)) with `funnel bench load` against `\(url)` "
                + "(open loop, \(arrivals == .poisson ? "Poisson arrivals" : "evenly spaced arrivals"): latency from each request's scheduled time; random users among \(users.formatted()); \(connections) keep-alive "
                + "connections; \(duration.formatted()) s per rate; load generator and server on the same machine).",
            "",
            "| rate (req/s) | achieved | p50 (ms) | p99 (ms) | max (ms) | non-2xx or failed | generator (cores) |"
                + (withServer ? " server CPU per feed (ms) |" : ""),
            "|---:|---:|---:|---:|---:|---:|---:|" + (withServer ? "---:|" : ""),
        ]
        let f = { (value: Any?, digits: Int) in String(format: "%.\(digits)f", value as? Double ?? .nan) }
        for r in results {
            lines.append("| \((r["rate"] as! Double).formatted()) | \(f(r["achieved"], 0)) | \(f(r["p50_ms"], 2)) | \(f(r["p99_ms"], 2)) | "
                         + "\(f(r["max_ms"], 1)) | \(r["errors"]!) | \(f(r["generator_cores"], 2)) |"
                         + (withServer ? " \(f(r["server_cpu_ms_per_request"], 2)) |" : ""))
        }
        for r in results where r["reload_status"] != nil {
            let retrained = r["retrain_seconds"].map { "`\(retrain!)` ran for \(f($0, 1)) s (exit \(r["retrain_status"]!)), then " } ?? ""
            let how = autoReload
                ? "the server noticed the new model on its own (no reload request), rebuilt the pipeline and swapped it in \(f(r["reload_seconds"], 1)) s after the training ended"
                : "the pipeline rebuilt from the store and swapped in \(f(r["reload_seconds"], 1)) s after the request (status \(r["reload_status"]!))"
            lines += ["", "Hot reload during the \((r["rate"] as! Double).formatted()) req/s run, \(reloadAt!.formatted()) s in: \(retrained)\(how), "
                          + "while that run's \((r["requests"] as! Int).formatted()) feeds saw \(r["errors"]!) non-2xx or failed responses."]
        }
        if let ingest {
            lines += ["", "Event ingest, batches of \(batch.formatted()) clicks, two in flight, \(ingestSeconds.formatted()) s: "
                          + "**\(Int(ingest["events_per_s"] as! Double).formatted()) events/s**, \(ingest["errors"]!) errors."]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs a command with `/bin/sh -c`: its exit status.
    static func shell(_ command: String) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}

extension HTTPLoad.Arrivals: ExpressibleByArgument {}

/// A seeded generator the load's request closures share (they run on one thread, one at a time).
private final class LockedRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    func next(below bound: Int) -> Int { lock.withLock { Int(generator.next() % UInt64(bound)) } }
}
