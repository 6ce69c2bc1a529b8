import Foundation
import FunnelData
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 load generator over keep-alive connections, all on one event-loop thread.
///
/// Requests leave at set times (`fixedRate`, open loop) or back to back (`closedLoop`). Each
/// latency runs from the request's scheduled time to the end of its response, so a server that
/// stalls is charged for every request it held back, not only for the one in flight (no
/// coordinated omission). A scheduled request waits for a free connection; with enough
/// connections that wait is the server's doing. On the server's own machine the generator's
/// cost matters: it reports the CPU it used.
public final class HTTPLoad: Sendable {
    /// One request: method, path with query, extra headers and body.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var path: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(_ method: HTTPMethod = .GET, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    /// What a run measured.
    public struct Outcome: Sendable {
        /// Seconds from each request's scheduled time to the end of its response, ascending.
        public var latencies: [Double]
        /// Responses outside 2xx, plus requests that failed on the connection.
        public var errors: Int
        /// Wall-clock seconds from the first scheduled request to the last response.
        public var seconds: Double
        /// CPU seconds this process spent over the run (user and system, all threads).
        public var cpuSeconds: Double
        /// Every request in the order its response ended: when it was due and how long it took,
        /// to see when in a run the slow ones came.
        public var timeline: [Sample]

        public var requests: Int { latencies.count }
        public func quantile(_ q: Double) -> Double { Measure.quantile(latencies, q) }
    }

    /// One request: seconds from the run's start to when it was due, seconds it took, and
    /// whether it failed.
    public struct Sample: Sendable {
        public var due: Double
        public var latency: Double
        public var failed: Bool
    }

    public struct ConnectionFailed: Error, CustomStringConvertible {
        public var description: String
    }

    let host: String
    let port: Int
    private let group: MultiThreadedEventLoopGroup

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    public func shutdown() async throws { try await group.shutdownGracefully() }

    /// When requests are due.
    public enum Arrivals: String, Sendable, CaseIterable {
        /// Evenly spaced: request `i` at `i / rate`.
        case uniform
        /// A Poisson stream: exponentially distributed gaps of mean `1 / rate`, as from many
        /// independent clients; burstier than `uniform`, so queues run longer at the same rate.
        case poisson

        /// Seconds from the start at which each request is due, over `seconds`.
        public func offsets(rate: Double, seconds: Double, seed: UInt64 = 7) -> [Double] {
            switch self {
            case .uniform:
                return (0..<Int(rate * seconds)).map { Double($0) / rate }
            case .poisson:
                var random = SplitMix64(seed: seed)
                var offsets: [Double] = [], t = 0.0
                while true {
                    t += -Foundation.log(1 - random.nextUnitDouble()) / rate
                    guard t < seconds else { return offsets }
                    offsets.append(t)
                }
            }
        }
    }

    /// `rate` requests a second for `seconds`, due as `arrivals` says, spread over `connections`
    /// keep-alive connections.
    public func fixedRate(_ rate: Double, seconds: Double, arrivals: Arrivals = .uniform, connections: Int,
                          request: @escaping @Sendable (Int) -> Request) async throws -> Outcome {
        try await run(.open(offsets: arrivals.offsets(rate: rate, seconds: seconds)), connections: connections, request: request)
    }

    /// Each of `connections` sends its next request as soon as the last one's response ends, for `seconds`.
    public func closedLoop(seconds: Double, connections: Int, request: @escaping @Sendable (Int) -> Request) async throws -> Outcome {
        try await run(.closedLoop(seconds: seconds), connections: connections, request: request)
    }

    /// One request on a connection of its own: the response's status and body.
    public func send(_ request: Request) async throws -> (status: Int, body: [UInt8]) {
        let loop = group.next()
        let channel = try await connect(on: loop).get()
        defer { channel.close(promise: nil) }
        let promise = loop.makePromise(of: (Int, [UInt8]).self)
        try await loop.submit {
            let reader = try channel.pipeline.syncOperations.handler(type: ResponseReader.self)
            reader.keepsBody = true
            reader.completion = { promise.completeWith($0) }
            Self.write(request, host: self.host, to: channel)
        }.get()
        return try await promise.futureResult.get()
    }

    private func run(_ schedule: LoadRun.Schedule, connections: Int, request: @escaping @Sendable (Int) -> Request) async throws -> Outcome {
        let loop = group.next()
        let channels = try await EventLoopFuture.whenAllSucceed((0..<max(1, connections)).map { _ in connect(on: loop) }, on: loop).get()
        let before = Self.cpuSeconds()
        let promise = loop.makePromise(of: LoadRun.Result.self)
        try await loop.submit {
            let run = LoadRun(load: self, loop: loop, schedule: schedule, request: request, done: promise)
            try run.start(with: channels)
        }.get()
        let result = try await promise.futureResult.get()
        return Outcome(latencies: result.timeline.map(\.latency).sorted(), errors: result.errors, seconds: result.seconds,
                       cpuSeconds: Self.cpuSeconds() - before, timeline: result.timeline)
    }

    func connect(on loop: any EventLoop) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseReader())
                }
            }
            .connect(host: host, port: port)
    }

    static func write(_ request: Request, host: String, to channel: Channel) {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Content-Length", value: String(request.body.count))
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !request.body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: request.body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Reads one response at a time and hands its status (and body, when kept) to `completion`.
final class ResponseReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    var completion: ((Result<(Int, [UInt8]), Error>) -> Void)?
    var keepsBody = false
    private var status = 0
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            if keepsBody { body += buffer.readableBytesView }
        case .end:
            finish(.success((status, body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(HTTPLoad.ConnectionFailed(description: "the server closed the connection")))
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<(Int, [UInt8]), Error>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}

/// The state of one run, touched only on its event loop.
final class LoadRun {
    enum Schedule {
        /// Request `i` due `offsets[i]` seconds after the start.
        case open(offsets: [Double])
        case closedLoop(seconds: Double)
    }

    struct Result: Sendable {
        var timeline: [HTTPLoad.Sample]
        var errors: Int
        var seconds: Double
    }

    private let load: HTTPLoad
    private let loop: any EventLoop
    private let schedule: Schedule
    private let request: @Sendable (Int) -> HTTPLoad.Request
    private let done: EventLoopPromise<Result>
    private var start = NIODeadline.now()
    /// Scheduled and not yet sent: (index, scheduled time).
    private var due: [(Int, NIODeadline)] = []
    private var dueHead = 0
    private var idle: [Channel] = []
    private var connections = 0
    private var next = 0
    private var timeline: [HTTPLoad.Sample] = []
    private var errors = 0
    private var finished = false

    init(load: HTTPLoad, loop: any EventLoop, schedule: Schedule, request: @escaping @Sendable (Int) -> HTTPLoad.Request,
         done: EventLoopPromise<Result>) {
        self.load = load
        self.loop = loop
        self.schedule = schedule
        self.request = request
        self.done = done
    }

    func start(with channels: [Channel]) throws {
        start = .now() + .milliseconds(10)
        connections = channels.count
        idle = channels
        switch schedule {
        case .open(let offsets):
            timeline.reserveCapacity(offsets.count)
            due.reserveCapacity(offsets.count)
            scheduleNext()
        case .closedLoop:
            dispatch()
        }
    }

    /// Queues every request whose time has come, then sleeps until the next one's.
    private func scheduleNext() {
        guard case .open(let offsets) = schedule else { return }
        let deadline = { (i: Int) in self.start + .nanoseconds(Int64((offsets[i] * 1e9).rounded())) }
        let now = NIODeadline.now()
        while next < offsets.count, deadline(next) <= now {
            due.append((next, deadline(next)))
            next += 1
        }
        dispatch()
        guard next < offsets.count else { return }
        loop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline(next)) { self.scheduleNext() }
    }

    /// Sends what is due on free connections; in a closed loop, a free connection sends at once.
    private func dispatch() {
        if case .closedLoop(let seconds) = schedule {
            while let channel = idle.popLast() {
                if NIODeadline.now() < start + .nanoseconds(Int64(seconds * 1e9)) {
                    send(next, scheduled: .now(), on: channel)
                    next += 1
                } else {
                    connections -= 1
                }
            }
            if connections == 0 { finish() }
            return
        }
        while dueHead < due.count, let channel = idle.popLast() {
            let (i, scheduled) = due[dueHead]
            dueHead += 1
            send(i, scheduled: scheduled, on: channel)
        }
        if connections == 0 {
            // Every connection is gone and none could be opened again: what is due fails now.
            while dueHead < due.count {
                record(due[dueHead].1, failed: true)
                dueHead += 1
            }
        }
    }

    private func send(_ i: Int, scheduled: NIODeadline, on channel: Channel) {
        guard let reader = try? channel.pipeline.syncOperations.handler(type: ResponseReader.self) else {
            record(scheduled, failed: true)
            reconnect()
            return
        }
        reader.completion = { result in
            switch result {
            case .success(let (status, _)):
                self.record(scheduled, failed: !(200..<300).contains(status))
                self.idle.append(channel)
                self.dispatch()
            case .failure:
                self.record(scheduled, failed: true)
                channel.close(promise: nil)
                self.reconnect()
            }
        }
        HTTPLoad.write(request(i), host: load.host, to: channel)
    }

    private func reconnect() {
        load.connect(on: loop).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .success(let channel): self.idle.append(channel)
            case .failure: self.connections -= 1
            }
            self.dispatch()
        }
    }

    private func record(_ scheduled: NIODeadline, failed: Bool) {
        timeline.append(HTTPLoad.Sample(due: Self.seconds(from: start, to: scheduled), latency: Self.seconds(from: scheduled, to: .now()), failed: failed))
        if failed { errors += 1 }
        if case .open(let offsets) = schedule, timeline.count == offsets.count { finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        for channel in idle { channel.close(promise: nil) }
        done.succeed(Result(timeline: timeline, errors: errors, seconds: Self.seconds(from: start, to: .now())))
    }

    private static func seconds(from start: NIODeadline, to end: NIODeadline) -> Double {
        Double((end - start).nanoseconds) / 1e9
    }
}
