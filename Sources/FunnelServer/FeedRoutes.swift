import Foundation
import FunnelData
import FunnelExperiments
import FunnelPipeline
import FunnelStore
import Hummingbird

/// The routes served by the pipeline: the feed, similar items, popular and latest, and the
/// admin reload that swaps in a pipeline rebuilt from the store (by the `PipelineReloader`).
struct FeedRoutes {
    let holder: PipelineHolder
    let exposures: EventLogWriter
    let exposureFilters: ExposureFilterSync?
    let reloader: PipelineReloader
    let metrics: ServerMetrics

    func pipeline() throws -> FeedPipeline {
        guard let pipeline = holder.current else { throw Self.building }
        return pipeline
    }

    static let building = HTTPError(.serviceUnavailable, message: "the pipeline is still being built; retry shortly")

    /// The experiments served, and with `user`, the arms that user is in.
    func experiments(_ request: Request) throws -> Response {
        _ = try pipeline()
        let plan = holder.experiments?.plan ?? .none
        let overrides = holder.experiments?.overrides ?? [:]
        var reply = ExperimentsReply(holdout: plan.holdout, experiments: plan.experiments.map { e in
            ExperimentsReply.Experiment(name: e.name, layer: e.layer, traffic: e.traffic, launched: e.launched, reverse: e.reverse,
                                        start: e.start, days: e.days, arms: zip(e.arms, e.shares).map { arm, share in
                ExperimentsReply.Arm(name: arm.name, share: share, settings: overrides[e.name]?[arm.name]?.setKeys ?? [])
            })
        })
        if let user = request.uri.queryParameters["user"].map(String.init) {
            let assignment = plan.assignment(of: user)
            reply.user = ExperimentsReply.User(id: user, holdout: assignment.isHoldout, arms: assignment.arms, label: assignment.label)
        }
        return try JSONBody.response(reply)
    }

    struct ExperimentsReply: Encodable {
        struct Arm: Encodable {
            var name: String
            /// Of the experiment's users.
            var share: Double
            /// The `[pipeline]` keys it changes.
            var settings: [String]
        }
        struct Experiment: Encodable {
            var name: String, layer: String, traffic: Double, launched: String?, reverse: Double, start: Date?, days: Int?
            var arms: [Arm]
        }
        struct User: Encodable {
            var id: String, holdout: Bool, arms: [String: String], label: String
        }
        var holdout: Double
        var experiments: [Experiment]
        var user: User?
    }

    func feed(_ request: Request, user: String) async throws -> Response {
        guard let (pipeline, assignment) = holder.serving(user) else { throw Self.building }
        let n = try QueryValues.integer(request, "n", default: 20, range: 1...500)
        let explain = try QueryValues.flag(request, "explain")
        let location = try QueryValues.location(request, "location")
        await exposureFilters?.prepare(user)
        let now = Date()
        let device = request.uri.queryParameters["device"].map(String.init), city = request.uri.queryParameters["city"].map(String.init)
        let result = await pipeline.feed(FeedRequest(user: user, n: n, now: now, location: location, device: device, city: city, explain: explain),
                                         state: holder.state)
        metrics.record(result.timings)
        if result.isColdStart { metrics.coldStartFeeds.increment() }
        let arms = assignment.label.isEmpty ? nil : assignment.label
        exposures.log(result.items.map {
            Event(userID: user, itemID: $0.item, type: .exposure, timestamp: now, context: EventContext(device: device, city: city, experiments: arms))
        })
        return try JSONBody.feedResponse(result)
    }

    func ranked(_ request: Request, latest: Bool) throws -> Response {
        let n = try QueryValues.integer(request, "n", default: 20, range: 1...500)
        let pipeline = try pipeline()
        let state = holder.state
        let surface: Surface = latest ? .latest : .popular, count = pipeline.candidateCount(of: surface, n: n)
        let listed = latest ? pipeline.latestItems(count, fresh: state.freshItems, excluding: state.isRemoved)
            : pipeline.popularItems(count, live: state.popular, excluding: state.isRemoved)
        return try JSONBody.response(["items": pipeline.reranked(listed, for: surface, n: n, fresh: state.freshItems)])
    }

    func similar(_ request: Request, item: String) throws -> Response {
        let n = try QueryValues.integer(request, "n", default: 20, range: 1...500)
        let pipeline = try pipeline()
        guard pipeline.item(item) != nil else { throw HTTPError(.notFound, message: "no item '\(item)'") }
        let state = holder.state
        let similar = pipeline.similarItems(to: item).lazy.filter { !state.isRemoved($0.item) }.prefix(pipeline.candidateCount(of: .similar, n: n))
        let shown = pipeline.reranked(Array(similar), for: .similar, n: n, fresh: state.freshItems)
        return try JSONBody.response(["items": shown.map { FeedResult.Entry(item: $0.item, score: $0.score, channels: nil) }])
    }

    /// Rebuilds the pipeline from the store with the latest ranker (and the configuration file
    /// read again, if the server has one) and swaps it in.
    func reload() async throws -> Response {
        let started = Date()
        let next: FeedPipeline
        do {
            next = try await reloader.reload(because: "admin request")
        } catch let error as PipelineReloader.ConfigurationRefused {
            throw HTTPError(.badRequest, message: "configuration not reloaded, the previous pipeline keeps serving: \(error)")
        } catch {
            throw HTTPError(.internalServerError, message: "reload failed, the previous pipeline keeps serving: \(error)")
        }
        return try JSONBody.response(ReloadReply(version: next.version, ranker: next.rankerName, items: next.itemCount,
                                                 seconds: Date().timeIntervalSince(started)))
    }

    struct ReloadReply: Encodable {
        var version: String
        var ranker: String
        var items: Int
        var seconds: Double
    }
}

/// Query parameters read with a message naming the parameter and its rule.
enum QueryValues {
    static func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError(.badRequest, message: "'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return n
    }

    /// "latitude,longitude" in degrees.
    static func location(_ request: Request, _ name: String) throws -> GeoPoint? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let point = GeoPoint(parsing: text) else {
            throw HTTPError(.badRequest, message: "'\(name)' must be latitude,longitude in degrees (-90…90,-180…180), got '\(text)'")
        }
        return point
    }

    static func flag(_ request: Request, _ name: String) throws -> Bool {
        guard let text = request.uri.queryParameters[Substring(name)] else { return false }
        switch text {
        case "true": return true
        case "false": return false
        default: throw HTTPError(.badRequest, message: "'\(name)' must be true or false, got '\(text)'")
        }
    }
}
