import CoreMetrics
import FunnelPipeline
import Prometheus
import Synchronization

/// The server's Prometheus metrics, served at `/metrics`: requests and their latency per route,
/// method and status (Hummingbird's `MetricsMiddleware`, renamed here), the time of each feed
/// stage and retrieval channel, events ingested, exposures logged, exposure filters saved and
/// read, and the pipeline serving.
/// One registry per process: swift-metrics is bootstrapped with it once.
public final class ServerMetrics: Sendable {
    public static let shared = ServerMetrics()

    let registry: PrometheusCollectorRegistry
    private let stages: [String: DurationHistogram]
    private let channels = Mutex<[String: DurationHistogram]>([:])
    let eventsIngested: Prometheus.Counter
    let exposuresLogged: Prometheus.Counter
    let exposuresDropped: Prometheus.Counter
    let coldStartFeeds: Prometheus.Counter
    let exposureFiltersRead: Prometheus.Counter
    let exposureFiltersSaved: Prometheus.Counter
    let exposureFilterErrors: Prometheus.Counter
    let pipelineItems: Prometheus.Gauge
    let pipelineBuiltAt: Prometheus.Gauge
    let rankerSetAside: Prometheus.Gauge
    let reloads: Prometheus.Counter
    let failedReloads: Prometheus.Counter

    /// Bucket bounds of every latency histogram: the feed's budget is milliseconds.
    static let buckets: [Duration] = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 10_000].map { .microseconds(Int64($0 * 1000)) }

    private init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.buckets
        factory.nameAndLabelSanitizer = { name, labels in
            let names = ["hb.requests": "funnel_http_requests_total", "http.server.request.duration": "funnel_http_request_duration_seconds",
                         "hb.request.errors": "funnel_http_request_errors_total", "http.server.active_requests": "funnel_http_active_requests"]
            let labelNames = ["http.route": "route", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status"]
            return (names[name] ?? name, labels.map { (labelNames[$0.0] ?? $0.0, $0.1) })
        }
        MetricsSystem.bootstrap(factory)

        func counter(_ name: String, _ help: String) -> Prometheus.Counter {
            registry.makeCounter(descriptor: .init(namespace: "funnel", metricName: name, unitName: "total", helpText: help))
        }
        func gauge(_ name: String, _ unit: String, _ help: String) -> Prometheus.Gauge {
            registry.makeGauge(descriptor: .init(namespace: "funnel", metricName: name, unitName: unit, helpText: help))
        }
        stages = Dictionary(uniqueKeysWithValues: StageTimings().stages.map(\.key).map {
            ($0, registry.makeDurationHistogram(descriptor: Self.stageDuration, labels: [("stage", $0)], buckets: Self.buckets))
        })
        eventsIngested = counter("events_ingested", "Events stored through POST /v1/events")
        exposuresLogged = counter("exposures_logged", "Exposures written to the event log by feeds")
        exposuresDropped = counter("exposures_dropped", "Exposures the event log failed to store")
        exposureFiltersRead = counter("exposure_filters_read", "Users' exposure filters read from the user-state store before a feed")
        exposureFiltersSaved = counter("exposure_filters_saved", "Users' exposure filters merged into the user-state store")
        exposureFilterErrors = counter("exposure_filter_errors", "Exposure filters not read or saved (the store failed; retried) or dropped (did not decode)")
        coldStartFeeds = counter("cold_start_feeds", "Feeds for users with no history")
        reloads = counter("pipeline_reloads", "Pipelines built and swapped in")
        failedReloads = counter("pipeline_failed_reloads", "Reloads refused or failed; the previous pipeline served on")
        pipelineItems = gauge("pipeline_items", "count", "Items in the catalogue of the pipeline serving")
        pipelineBuiltAt = gauge("pipeline_built", "timestamp_seconds", "When the pipeline serving was built")
        rankerSetAside = gauge("pipeline_ranker_set_aside", "", "1 when the configured ranker (or pre-ranker) is not serving: none trained, or trained for other features; see /v1/ready")
    }

    private static var stageDuration: MetricNameDescriptor {
        .init(namespace: "funnel", metricName: "feed_stage_duration", unitName: "seconds", helpText: "Time of each stage of a feed request")
    }
    private static var channelDuration: MetricNameDescriptor {
        .init(namespace: "funnel", metricName: "channel_duration", unitName: "seconds", helpText: "Time of each retrieval channel in a feed request")
    }

    /// Records the stage and channel times of one feed.
    func record(_ timings: StageTimings) {
        for (stage, seconds) in timings.stages { stages[stage]?.record(.nanoseconds(Int64(seconds * 1e9))) }
        for (channel, seconds) in timings.channels { histogram(channel: channel).record(.nanoseconds(Int64(seconds * 1e9))) }
    }

    /// Notes the pipeline now serving.
    func serving(_ pipeline: FeedPipeline) {
        pipelineItems.set(Int64(pipeline.itemCount))
        pipelineBuiltAt.set(pipeline.builtAt.timeIntervalSince1970)
        rankerSetAside.set(Int64(pipeline.rankerNotice == nil ? 0 : 1))
    }

    /// The text exposition of every metric.
    func exposition() -> [UInt8] { registry.emitToBuffer() }

    private func histogram(channel: String) -> DurationHistogram {
        channels.withLock { known in
            if let histogram = known[channel] { return histogram }
            let histogram = registry.makeDurationHistogram(descriptor: Self.channelDuration, labels: [("channel", channel)], buckets: Self.buckets)
            known[channel] = histogram
            return histogram
        }
    }
}
