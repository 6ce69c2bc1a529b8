import Foundation
import FunnelBench
import Testing

/// The load generator of `funnel bench load`, against a live server.
@Suite struct HTTPLoadTests {
    @Test func aFixedRateSendsEveryRequestOnSchedule() async throws {
        try await TestServer.with { server in
            let load = HTTPLoad(host: "127.0.0.1", port: server.base.port!)
            let outcome = try await load.fixedRate(200, seconds: 1, connections: 4) { _ in .init(.GET, "/v1/health") }
            try await load.shutdown()
            #expect(outcome.requests == 200)
            #expect(outcome.errors == 0)
            #expect(outcome.latencies == outcome.latencies.sorted())
            #expect(outcome.latencies.allSatisfy { $0 > 0 })
            // The timeline holds every request once, due evenly 5 ms apart.
            let due = outcome.timeline.map(\.due).sorted()
            #expect(due.count == 200 && zip(due, due.dropFirst()).allSatisfy { abs($1 - $0 - 0.005) < 1e-4 })
            #expect(outcome.timeline.map(\.latency).sorted() == outcome.latencies)
            // Open loop: the last request leaves 199/200 s after the first, whatever the server does.
            #expect(outcome.seconds >= 0.995)
        }
    }

    @Test func responsesOutside2xxAreErrors() async throws {
        try await TestServer.with { server in
            let load = HTTPLoad(host: "127.0.0.1", port: server.base.port!)
            // No API key: every batch is refused.
            let refused = try await load.closedLoop(seconds: 0.3, connections: 2) { _ in
                .init(.POST, "/v1/events", headers: [("Content-Type", "application/json")], body: Array("[]".utf8))
            }
            let unknown = try await load.fixedRate(100, seconds: 0.2, connections: 2) { i in .init(.GET, i % 2 == 0 ? "/v1/health" : "/v1/nowhere") }
            let ready = try await load.send(.init(.GET, "/v1/health"))
            try await load.shutdown()
            #expect(refused.requests > 0)
            #expect(refused.errors == refused.requests)
            #expect(unknown.requests == 20)
            #expect(unknown.errors == 10)
            #expect(unknown.timeline.filter(\.failed).count == 10)
            #expect(ready.status == 200)
            #expect(!ready.body.isEmpty)
        }
    }

    @Test func arrivalsAreEvenOrPoisson() {
        let even = HTTPLoad.Arrivals.uniform.offsets(rate: 4, seconds: 1)
        #expect(even == [0, 0.25, 0.5, 0.75])
        // 100,000 expected arrivals: the count within 4σ (σ = √λ ≈ 316), in order, inside the window,
        // and exponential gaps, whose variance equals their squared mean.
        let poisson = HTTPLoad.Arrivals.poisson.offsets(rate: 1_000, seconds: 100)
        #expect(abs(poisson.count - 100_000) < 1_300)
        #expect(poisson == poisson.sorted() && poisson.first! > 0 && poisson.last! < 100)
        let gaps = zip(poisson.dropFirst(), poisson).map { $0 - $1 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let variance = gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)
        #expect(abs(mean - 0.001) < 0.00002)
        #expect(abs(variance / (mean * mean) - 1) < 0.03)
        #expect(HTTPLoad.Arrivals.poisson.offsets(rate: 1_000, seconds: 1, seed: 3) == HTTPLoad.Arrivals.poisson.offsets(rate: 1_000, seconds: 1, seed: 3))
    }

    @Test func noServerIsAnErrorNotAHang() async throws {
        let load = HTTPLoad(host: "127.0.0.1", port: 1)
        await #expect(throws: (any Error).self) {
            _ = try await load.fixedRate(100, seconds: 1, connections: 2) { _ in .init(.GET, "/") }
        }
        try await load.shutdown()
    }
}
