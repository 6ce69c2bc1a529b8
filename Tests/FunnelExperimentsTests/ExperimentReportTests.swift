import Foundation
import FunnelData
import Testing
@testable import FunnelExperiments

@Suite struct ExperimentReportTests {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)
    static let experiment = ExperimentPlan.Experiment(name: "x", arms: [.init(name: "control"), .init(name: "b")], start: start, days: 14)

    static func exposure(_ user: String, _ day: Double, arm: String?) -> Event {
        Event(userID: user, itemID: "i", type: .exposure, timestamp: start.addingTimeInterval(day * 86_400),
              context: EventContext(experiments: arm.map { "x=\($0)" }))
    }

    /// Two users per arm, by hand: control's a has 2 exposures and 1 click on day 0, c has 2
    /// exposures on days 0 and 1; treatment's b and d have 4 exposures and 2 clicks on day 0.
    @Test func valuesByHand() throws {
        var events: [Event] = []
        for day in [0.1, 0.2] { events.append(Self.exposure("a", day, arm: "control")) }
        events.append(Event(userID: "a", itemID: "i", type: .click, timestamp: Self.start.addingTimeInterval(0.3 * 86_400)))
        for day in [0.1, 1.1] { events.append(Self.exposure("c", day, arm: "control")) }
        for user in ["b", "d"] {
            for k in 0..<4 { events.append(Self.exposure(user, 0.1 + Double(k) * 0.01, arm: "b")) }
            for _ in 0..<2 { events.append(Event(userID: user, itemID: "i", type: .click, timestamp: Self.start.addingTimeInterval(0.5 * 86_400))) }
        }
        let report = try ExperimentReport(Self.experiment, events: events, now: Self.start.addingTimeInterval(14 * 86_400))
        #expect(report.users == [2, 2] && report.arms == ["control", "b"])
        func metric(_ name: String) throws -> ExperimentReport.Metric { try #require(report.metrics.first { $0.name == name }) }
        #expect(try metric("active days").values == [1.5, 1])
        #expect(try metric("items viewed").values == [2, 4])
        #expect(try metric("clicks").values == [0.5, 2])
        #expect(try metric("click rate (per item viewed)").values == [0.25, 0.5])
        #expect(try metric("feed depth (items per active day)").values == [4.0 / 3, 4])
        // Retention at one day: c's day 0 is followed by day 1; a's is not; b and d have one day each.
        #expect(try metric("retention at 1 day").values == [1.0 / 3, 0])
        #expect(report.warnings.contains { $0.contains("no activity in the pre-period") })
        #expect(!report.warnings.contains { $0.contains("interim look") })
        #expect(report.warnings.contains { $0.hasPrefix("too few users: arm 'control' of 'x' holds 2, fewer than the 100") })
    }

    /// A simulated experiment with a known effect: treatment users click 15% of what they see
    /// where control users click 10%, each user with a habit of activity seen in the pre-period
    /// too. The report finds the rate's change, covers the true one, and adjusts by CUPED.
    @Test func findsAKnownEffect() throws {
        var generator = SplitMix64(seed: 3)
        var events: [Event] = []
        for k in 0..<1_200 {
            let user = "u\(k)", arm = k % 2 == 0 ? "control" : "b"
            let habit = 0.2 + 0.7 * generator.nextUnitDouble()
            for day in -14..<10 {
                guard generator.nextUnitDouble() < habit else { continue }
                for slot in 0..<10 {
                    let t = Double(day) + 0.4 + Double(slot) * 0.001
                    events.append(Self.exposure(user, t, arm: day >= 0 ? arm : nil))
                    let rate = day >= 0 && arm == "b" ? 0.15 : 0.10
                    if generator.nextUnitDouble() < rate {
                        events.append(Event(userID: user, itemID: "i", type: .click, timestamp: Self.start.addingTimeInterval((t + 0.0005) * 86_400)))
                    }
                }
            }
        }
        let report = try ExperimentReport(Self.experiment, events: events, now: Self.start.addingTimeInterval(10 * 86_400))
        let rate = try #require(report.metrics.first { $0.name == "click rate (per item viewed)" }?.comparisons.first)
        #expect(rate.isSignificant && rate.lower < 0.05 && rate.upper > 0.05, "\(rate)")
        let days = try #require(report.metrics.first { $0.name == "active days" })
        #expect(!(days.comparisons[0].isSignificant) || days.comparisons[0].pValue > 0.001, "no effect on activity was simulated")
        #expect(days.varianceReduction![0] > 0.2, "the habit seen in the pre-period explains part of the spread")
        #expect(!report.sampleRatio.isMismatch)
        #expect(report.warnings.contains { $0.contains("interim look") })
        #expect(report.text.contains("b against control:"))
        #expect(!report.warnings.contains { $0.contains("too few users") })
        // 600 users an arm, a click rate of 0.1: the test finds a change about 2.8 standard errors wide.
        #expect(abs(rate.minimumDetectable() - (1.959964 + 0.841621) * rate.standardError) < 1e-6 * rate.standardError)
    }

    @Test func theLogMustCarryTheExperiment() {
        #expect(throws: PlanError.self) { try ExperimentReport(Self.experiment, events: [Self.exposure("a", 1, arm: nil)], now: Self.start) }
        let stray = [Self.exposure("a", 1, arm: "c")]
        #expect { try ExperimentReport(Self.experiment, events: stray, now: Self.start.addingTimeInterval(14 * 86_400)) } throws: { error in
            "\(error)".contains("arms of 'x' the plan lacks (c)")
        }
    }

    /// An A/A test on simulated traffic (the incumbent's feeds, no experiment): every metric's
    /// test is significant in about 5% of 400 random splits, within the binomial range of that
    /// count (a metric may miss it by chance: 17 ranges at 95%), and CUPED removes variance
    /// from the counts per user.
    @Test func anAATestFindsNothingAtItsLevel() throws {
        var world = FeedWorld.Configuration()
        (world.seed, world.users, world.items, world.authors, world.days) = (9, 600, 1_000, 100, 8)
        let simulation = FeedSimulation(world: try FeedWorld(world), batchSize: 50_000)
        var events: [Event] = []
        while let batch = try simulation.nextBatch() { events += batch.events }
        let end = events.map(\.timestamp).max()!.addingTimeInterval(1)
        let activity = UserActivity(events: events, users: nil, start: end.addingTimeInterval(-4 * 86_400), end: end)
        let test = try AATest(activity, splits: 400)
        #expect(test.users > 500 && test.metrics.count == 17)
        #expect(test.metrics.count(where: \.holds) >= 15, "\(test.text)")
        #expect(abs(test.pooledRate - 0.05) < 0.012, "\(test.text)")
        #expect(test.sampleRatioAlarms <= 2)
        #expect(try #require(test.metrics.first { $0.name == "items viewed" }?.varianceReduction) > 0.1)
    }
}
