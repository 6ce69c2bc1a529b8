import Foundation
import FunnelIndex

/// The experiments a server runs, and which users see which arm.
///
/// Users are bucketed by a stable hash of their id salted per layer, so the layers are
/// orthogonal: a user's bucket in one layer says nothing of their bucket in another, and
/// experiments in different layers (say ranking and reranking) run on the same users at once.
/// Inside a layer, experiments take consecutive ranges of its buckets and exclude each other.
/// A long-term holdout, salted on its own, sees none of it: no experiment and no launch, so the
/// sum of everything launched can be measured against it. A launched experiment pushes one arm
/// to every user of its layer but a reverse share, kept on control to confirm the effect lasts.
/// A user keeps their buckets as long as the plan does, across days and servers.
public struct ExperimentPlan: Sendable, Equatable {
    public struct Arm: Sendable, Equatable, Codable {
        public var name: String
        /// Share of the experiment's users (shares are relative: 1 and 1 split evenly).
        public var share: Double

        public init(name: String, share: Double = 1) {
            self.name = name
            self.share = share
        }
    }

    public struct Experiment: Sendable, Equatable, Codable {
        public var name: String
        public var layer: String
        /// Share of the layer's users in this experiment.
        public var traffic: Double
        /// Where its range of the layer's buckets starts, as a share of the layer; by default
        /// right after the ranges of the experiments before it. Give it to keep an experiment's
        /// users where they are when others are added before it.
        public var offset: Double?
        /// `control` first.
        public var arms: [Arm]
        /// Launched (push to all): this arm serves every user of the layer but `reverse` of them.
        public var launched: String?
        /// With `launched`: the share of the layer kept on control (the reverse experiment).
        public var reverse: Double
        /// When it began (the report's pre-period ends here), and for how many days it is planned.
        public var start: Date?
        public var days: Int?

        public init(name: String, layer: String = "default", traffic: Double = 1, offset: Double? = nil, arms: [Arm], launched: String? = nil,
                    reverse: Double = 0, start: Date? = nil, days: Int? = nil) {
            (self.name, self.layer, self.traffic, self.offset, self.arms) = (name, layer, traffic, offset, arms)
            (self.launched, self.reverse, self.start, self.days) = (launched, reverse, start, days)
        }

        /// The planned end, if both ends are known.
        public var end: Date? {
            guard let start, let days else { return nil }
            return start.addingTimeInterval(Double(days) * 86_400)
        }

        /// Each arm's share of this experiment's users.
        public var shares: [Double] {
            if let launched { return arms.map { $0.name == Self.control ? reverse : ($0.name == launched ? 1 - reverse : 0) } }
            let total = arms.reduce(0) { $0 + $1.share }
            return arms.map { $0.share / total }
        }

        public static let control = "control"
    }

    /// Share of all users held out of every experiment and launch.
    public var holdout: Double
    public var experiments: [Experiment]
    /// Each experiment's buckets in its layer.
    public let ranges: [String: Range<Int>]

    /// Buckets per layer: shares are exact to 1/10,000.
    public static let buckets = 10_000
    /// What a held-out user's assignment reads.
    public static let holdoutLabel = "holdout"

    /// Checks the plan; the error names the experiment and the rule it breaks.
    public init(holdout: Double = 0, experiments: [Experiment]) throws {
        guard holdout >= 0 && holdout <= 0.5 else { throw PlanError("experiments.holdout must be within 0…0.5, got \(holdout)") }
        var names = Set<String>()
        var ranges: [String: Range<Int>] = [:], taken: [String: [(name: String, range: Range<Int>)]] = [:]
        for e in experiments {
            let at = "experiment '\(e.name)'"
            guard !e.name.isEmpty, !e.name.contains(where: { $0 == "," || $0 == "=" }) else {
                throw PlanError("an experiment needs a name without ',' or '=', got '\(e.name)'")
            }
            guard names.insert(e.name).inserted else { throw PlanError("\(at) is defined twice") }
            guard e.name != Self.holdoutLabel else { throw PlanError("'\(Self.holdoutLabel)' names the holdout, not an experiment") }
            guard e.traffic > 0 && e.traffic <= 1 else { throw PlanError("\(at): traffic must be within (0, 1], got \(e.traffic)") }
            guard e.arms.first?.name == Experiment.control else { throw PlanError("\(at): its first arm must be '\(Experiment.control)'") }
            guard e.arms.count >= 2 else { throw PlanError("\(at) needs an arm besides '\(Experiment.control)'") }
            guard Set(e.arms.map(\.name)).count == e.arms.count else { throw PlanError("\(at) names an arm twice") }
            for arm in e.arms where !(arm.share > 0 && arm.share.isFinite) || arm.name.contains(where: { $0 == "," || $0 == "=" }) {
                throw PlanError("\(at): arm '\(arm.name)' needs a positive share and a name without ',' or '='")
            }
            if let launched = e.launched {
                guard launched != Experiment.control, e.arms.contains(where: { $0.name == launched }) else {
                    throw PlanError("\(at): launched must name one of its arms other than control (\(e.arms.dropFirst().map(\.name).joined(separator: ", "))), got '\(launched)'")
                }
                guard e.reverse >= 0 && e.reverse <= 0.5 else { throw PlanError("\(at): reverse must be within 0…0.5, got \(e.reverse)") }
                guard e.traffic == 1 else { throw PlanError("\(at): a launched experiment takes its whole layer (traffic 1)") }
            } else if e.reverse != 0 {
                throw PlanError("\(at): reverse applies to a launched experiment only")
            }
            if let days = e.days, days < 1 { throw PlanError("\(at): days must be at least 1, got \(days)") }
            if let offset = e.offset, !(offset >= 0 && offset < 1) { throw PlanError("\(at): offset must be within [0, 1), got \(offset)") }
            let width = Int((e.traffic * Double(Self.buckets)).rounded())
            let start = e.offset.map { Int(($0 * Double(Self.buckets)).rounded()) } ?? (taken[e.layer]?.map(\.range.upperBound).max() ?? 0)
            let range = start..<(start + width)
            guard range.upperBound <= Self.buckets else {
                throw PlanError("\(at): its buckets run past the end of layer '\(e.layer)' (offset \(Double(start) / Double(Self.buckets)) + traffic \(e.traffic) > 1)")
            }
            if let other = taken[e.layer]?.first(where: { $0.range.overlaps(range) }) {
                throw PlanError("\(at) and experiment '\(other.name)' share buckets of layer '\(e.layer)'; experiments in one layer exclude each other (lower a traffic or set an offset)")
            }
            taken[e.layer, default: []].append((e.name, range))
            ranges[e.name] = range
        }
        self.holdout = holdout
        self.experiments = experiments
        self.ranges = ranges
    }

    public static let none = try! ExperimentPlan(experiments: [])

    /// The bucket of `user` in the layer salted `salt`, in 0..<buckets.
    public static func bucket(of user: String, salt: String) -> Int {
        Int(StableHash.hash(salt + "\u{1F}" + user) % UInt64(buckets))
    }

    /// The experiments' arms `user` sees (none when held out).
    public func assignment(of user: String) -> Assignment {
        guard !experiments.isEmpty else { return Assignment() }
        if holdout > 0, Self.bucket(of: user, salt: Self.holdoutLabel) < Int((holdout * Double(Self.buckets)).rounded()) {
            return Assignment(isHoldout: true)
        }
        var arms: [String: String] = [:]
        var layerBucket: [String: Int] = [:]
        for e in experiments {
            let bucket = layerBucket[e.layer] ?? Self.bucket(of: user, salt: "layer:" + e.layer)
            layerBucket[e.layer] = bucket
            let range = ranges[e.name]!
            guard range.contains(bucket) else { continue }
            // The user's place within the experiment's range picks the arm by cumulative share.
            let place = (Double(bucket - range.lowerBound) + 0.5) / Double(range.count)
            var cumulative = 0.0
            for (arm, share) in zip(e.arms, e.shares) {
                cumulative += share
                if place < cumulative { arms[e.name] = arm.name; break }
            }
            if arms[e.name] == nil { arms[e.name] = e.launched ?? e.arms.last!.name }
        }
        return Assignment(arms: arms)
    }

    public func experiment(named name: String) -> Experiment? { experiments.first { $0.name == name } }

    /// What in this plan would reassign users that `previous` had already put in an experiment,
    /// one sentence each, naming it: an experiment of both plans whose layer, buckets, arms or
    /// arms' shares differ, or a holdout of another share while experiments run. Adding and
    /// ending experiments and changing their dates move nobody already assigned; launching one
    /// (and changing its reverse share) moves its users on purpose and is not named.
    public func moves(from previous: ExperimentPlan) -> [String] {
        var moves: [String] = []
        let kept = experiments.filter { previous.experiment(named: $0.name) != nil }
        if !kept.isEmpty, holdout != previous.holdout {
            moves.append("experiments.holdout changes from \(previous.holdout) to \(holdout), which moves users in and out of every running experiment")
        }
        for e in kept {
            let before = previous.experiment(named: e.name)!
            let at = "experiment '\(e.name)'"
            // A launch (or its end) moves users on purpose: to the launched arm, but the reverse.
            guard e.launched == nil, before.launched == nil else { continue }
            if e.layer != before.layer {
                moves.append("\(at): its layer changes from '\(before.layer)' to '\(e.layer)', which reassigns every user in it")
            } else if let old = previous.ranges[e.name], let new = ranges[e.name], old != new {
                let offset = Double(old.lowerBound) / Double(Self.buckets)
                moves.append("\(at): its buckets move from \(old.lowerBound)..<\(old.upperBound) to \(new.lowerBound)..<\(new.upperBound) of layer '\(e.layer)' "
                    + "(its traffic, or an experiment before it in the layer, changed), which reassigns its users"
                    + (old.count == new.count ? "; offset = \(offset) keeps them where they are" : "; start a new experiment under another name instead"))
            }
            if e.arms != before.arms {
                moves.append("\(at): its arms or their shares change, which reassigns its users; start a new experiment under another name instead")
            }
        }
        return moves
    }
}

public struct PlanError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
