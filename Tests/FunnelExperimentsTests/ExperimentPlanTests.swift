import Foundation
import Testing
@testable import FunnelExperiments

@Suite struct ExperimentPlanTests {
    static let users = (0..<40_000).map { "user-\($0)" }

    /// Counts of `users` by what `key` says of each assignment.
    static func counts(_ plan: ExperimentPlan, _ key: (Assignment) -> String) -> [String: Int] {
        users.reduce(into: [:]) { $0[key(plan.assignment(of: $1)), default: 0] += 1 }
    }

    /// Whether `count` lies within four standard deviations of a binomial share.
    static func near(_ count: Int, share: Double, of n: Int = users.count) -> Bool {
        abs(Double(count) - share * Double(n)) < 4 * (share * (1 - share) * Double(n)).squareRoot()
    }

    @Test func sharesAndTrafficAreKept() throws {
        let plan = try ExperimentPlan(experiments: [
            .init(name: "rerank", layer: "rerank", traffic: 0.3, arms: [.init(name: "control"), .init(name: "dpp"), .init(name: "mmr9", share: 2)]),
        ])
        let counts = Self.counts(plan) { $0.arms["rerank"] ?? "-" }
        #expect(Self.near(counts["control"]!, share: 0.075) && Self.near(counts["dpp"]!, share: 0.075) && Self.near(counts["mmr9"]!, share: 0.15))
        #expect(Self.near(counts["-"]!, share: 0.7))
    }

    /// Experiments in one layer exclude each other; in two layers they cross evenly.
    @Test func layersAreExclusiveWithinAndOrthogonalAcross() throws {
        let arms: [ExperimentPlan.Arm] = [.init(name: "control"), .init(name: "treatment")]
        let plan = try ExperimentPlan(experiments: [
            .init(name: "a", layer: "rank", traffic: 0.5, arms: arms), .init(name: "b", layer: "rank", traffic: 0.5, arms: arms),
            .init(name: "c", layer: "rerank", traffic: 1, arms: arms),
        ])
        var cells: [String: Int] = [:]
        for user in Self.users {
            let a = plan.assignment(of: user)
            #expect((a.arms["a"] == nil) != (a.arms["b"] == nil), "one experiment of the rank layer each")
            #expect(a.arms["c"] != nil)
            cells["\(a.arms["a"] ?? "-")/\(a.arms["c"]!)", default: 0] += 1
        }
        // a's arms hold a quarter of the users each, and c splits each of them evenly.
        for cell in ["control/control", "control/treatment", "treatment/control", "treatment/treatment"] {
            #expect(Self.near(cells[cell]!, share: 0.125), "\(cell): \(cells[cell]!)")
        }
    }

    @Test func holdoutSeesNothingAndLaunchesKeepTheirReverse() throws {
        let plan = try ExperimentPlan(holdout: 0.05, experiments: [
            .init(name: "dpp", layer: "rerank", arms: [.init(name: "control"), .init(name: "dpp")], launched: "dpp", reverse: 0.1),
        ])
        let counts = Self.counts(plan) { $0.label }
        #expect(Self.near(counts["holdout"]!, share: 0.05))
        #expect(Self.near(counts["dpp=control"]!, share: 0.95 * 0.1) && Self.near(counts["dpp=dpp"]!, share: 0.95 * 0.9))
        #expect(counts.count == 3)
    }

    /// The same user gets the same arms whatever else is asked, and adding an experiment in
    /// another layer moves no one in this one.
    @Test func usersKeepTheirBuckets() throws {
        let arms: [ExperimentPlan.Arm] = [.init(name: "control"), .init(name: "treatment")]
        let one = try ExperimentPlan(experiments: [.init(name: "a", layer: "rank", traffic: 0.4, arms: arms)])
        let two = try ExperimentPlan(experiments: [.init(name: "a", layer: "rank", traffic: 0.4, arms: arms),
                                                   .init(name: "b", layer: "rerank", arms: arms)])
        for user in Self.users.prefix(5_000) {
            #expect(one.assignment(of: user) == one.assignment(of: user))
            #expect(one.assignment(of: user).arms["a"] == two.assignment(of: user).arms["a"])
        }
        #expect(ExperimentPlan.bucket(of: "user-1", salt: "layer:rank") == ExperimentPlan.bucket(of: "user-1", salt: "layer:rank"))
        #expect(ExperimentPlan.bucket(of: "user-1", salt: "layer:rank") != ExperimentPlan.bucket(of: "user-1", salt: "layer:rerank")
                || ExperimentPlan.bucket(of: "user-2", salt: "layer:rank") != ExperimentPlan.bucket(of: "user-2", salt: "layer:rerank"))
    }

    /// An experiment with an offset keeps its users when another is placed before it.
    @Test func offsetsKeepUsersInPlace() throws {
        let arms: [ExperimentPlan.Arm] = [.init(name: "control"), .init(name: "treatment")]
        let alone = try ExperimentPlan(experiments: [.init(name: "b", traffic: 0.3, offset: 0.5, arms: arms)])
        let joined = try ExperimentPlan(experiments: [.init(name: "a", traffic: 0.5, arms: arms), .init(name: "b", traffic: 0.3, offset: 0.5, arms: arms)])
        #expect(joined.ranges["a"] == 0..<5_000 && joined.ranges["b"] == 5_000..<8_000)
        for user in Self.users.prefix(5_000) { #expect(alone.assignment(of: user).arms["b"] == joined.assignment(of: user).arms["b"]) }
    }

    /// A new plan that would move users already in an experiment names the experiment and why;
    /// what moves nobody passes.
    @Test func movesOfAssignedUsersAreNamed() throws {
        let arms: [ExperimentPlan.Arm] = [.init(name: "control"), .init(name: "b")]
        let serving = try ExperimentPlan(holdout: 0.05, experiments: [.init(name: "x", layer: "l", traffic: 0.3, arms: arms)])
        func moves(_ experiments: [ExperimentPlan.Experiment], holdout: Double = 0.05) throws -> [String] {
            try ExperimentPlan(holdout: holdout, experiments: experiments).moves(from: serving)
        }
        let x = ExperimentPlan.Experiment(name: "x", layer: "l", traffic: 0.3, arms: arms)
        #expect(try moves([x, .init(name: "y", layer: "other", arms: arms)]).isEmpty, "another layer moves nobody")
        #expect(try moves([x, .init(name: "z", layer: "l", traffic: 0.2, arms: arms)]).isEmpty, "after it in its layer: nobody moves")
        #expect(try moves([]).isEmpty && moves([], holdout: 0.2).isEmpty, "ending every experiment moves nobody")
        var pinned = x
        pinned.offset = 0.0
        let before = ExperimentPlan.Experiment(name: "a", layer: "l", traffic: 0.2, offset: 0.3, arms: arms)
        #expect(try moves([before, pinned]).isEmpty, "an offset keeps its buckets")
        let shifted = try moves([.init(name: "a", layer: "l", traffic: 0.2, arms: arms), x])
        #expect(shifted == ["experiment 'x': its buckets move from 0..<3000 to 2000..<5000 of layer 'l' (its traffic, or an experiment before it in the layer, changed), which reassigns its users; offset = 0.0 keeps them where they are"])
        var wider = x
        wider.traffic = 0.5
        #expect(try moves([wider]).first?.contains("start a new experiment under another name") == true)
        var reshared = x
        reshared.arms[1].share = 2
        #expect(try moves([reshared]) == ["experiment 'x': its arms or their shares change, which reassigns its users; start a new experiment under another name instead"])
        var relayered = x
        relayered.layer = "m"
        #expect(try moves([relayered]).first?.contains("its layer changes from 'l' to 'm'") == true)
        #expect(try moves([x], holdout: 0.1).first?.contains("experiments.holdout changes from 0.05 to 0.1") == true)
        var launched = x
        (launched.traffic, launched.launched, launched.reverse) = (1, "b", 0.05)
        #expect(try moves([launched]).isEmpty, "a launch moves users on purpose")
    }

    @Test func labelsReadBack() {
        let assignment = Assignment(arms: ["rerank": "dpp", "rank": "control"])
        #expect(assignment.label == "rank=control,rerank=dpp")
        #expect(Assignment(label: assignment.label) == assignment)
        #expect(Assignment(label: "holdout") == Assignment(isHoldout: true))
        #expect(Assignment(label: "")?.arms.isEmpty == true)
        #expect(Assignment(label: "rank") == nil && Assignment(label: "=x") == nil)
    }

    /// Each bad plan and a phrase its error must hold.
    @Test func badPlansAreNamed() {
        let arms: [ExperimentPlan.Arm] = [.init(name: "control"), .init(name: "b")]
        let cases: [(Double, [ExperimentPlan.Experiment], String)] = [
            (0.6, [], "experiments.holdout must be within 0…0.5"),
            (0, [.init(name: "x", arms: [.init(name: "b"), .init(name: "control")])], "experiment 'x': its first arm must be 'control'"),
            (0, [.init(name: "x", arms: [.init(name: "control")])], "experiment 'x' needs an arm besides 'control'"),
            (0, [.init(name: "x", arms: arms), .init(name: "x", layer: "other", arms: arms)], "experiment 'x' is defined twice"),
            (0, [.init(name: "x", traffic: 0.7, arms: arms), .init(name: "y", traffic: 0.4, arms: arms)], "experiment 'y': its buckets run past the end of layer 'default'"),
            (0, [.init(name: "x", traffic: 0.5, arms: arms), .init(name: "y", traffic: 0.2, offset: 0.4, arms: arms)], "experiment 'y' and experiment 'x' share buckets of layer 'default'"),
            (0, [.init(name: "x", traffic: 0.5, offset: 1, arms: arms)], "offset must be within [0, 1)"),
            (0, [.init(name: "x", traffic: 0, arms: arms)], "experiment 'x': traffic must be within (0, 1]"),
            (0, [.init(name: "x", arms: arms, launched: "c")], "experiment 'x': launched must name one of its arms other than control (b), got 'c'"),
            (0, [.init(name: "x", traffic: 0.5, arms: arms, launched: "b")], "a launched experiment takes its whole layer"),
            (0, [.init(name: "x", arms: arms, reverse: 0.1)], "reverse applies to a launched experiment only"),
            (0, [.init(name: "x", arms: [.init(name: "control"), .init(name: "b", share: 0)])], "arm 'b' needs a positive share"),
            (0, [.init(name: "a,b", arms: arms)], "without ',' or '='"),
            (0, [.init(name: "x", arms: arms, days: 0)], "days must be at least 1"),
        ]
        for (holdout, experiments, phrase) in cases {
            #expect {
                try ExperimentPlan(holdout: holdout, experiments: experiments)
            } throws: { error in
                "\(error)".contains(phrase)
            }
        }
    }
}
