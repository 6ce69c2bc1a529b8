import Foundation
import FunnelData
import FunnelRetrieval
import FunnelStages

/// The whole feed judged offline on a store's own log: everything before the last
/// `holdoutSeconds` builds the pipeline (and, with `trainModels`, trains the two-tower model
/// and the ranker, so that no model has seen the held-out actions); each sampled user with
/// positive actions in the held-out window gets a feed as of its start, scored by how many of
/// those items it holds. Each channel's candidates and the popularity list are scored alike.
public enum FeedEvaluation {
    public struct Report: Codable, Sendable {
        public var users: Int
        public var heldOutActions: Int
        public var n: Int
        /// Mean over users of (held-out items in the list) / (held-out items), and the share of
        /// users with at least one.
        public var feedRecall: Double
        public var feedHitRate: Double
        /// Mean over users of NDCG@n, every held-out item relevant (gain 1).
        public var feedNDCG: Double
        public var popularRecall: Double
        public var popularHitRate: Double
        public var popularNDCG: Double
        /// Recall of each channel's candidates (up to its quota) and of all of them merged.
        public var channelRecall: [String: Double]
        /// Recall@n and NDCG@n of each channel's own first n candidates, in its own order: each
        /// channel judged as a list of the feed's length.
        public var channelRecallAtN: [String: Double]
        public var channelNDCGAtN: [String: Double]
        public var candidateRecall: Double
        public var ranker: String
        public var reranker: String
        /// The feeds' diversity: the mean over feeds of the average pairwise category similarity
        /// of their items (intra-list similarity, the Jaccard overlap of category levels that
        /// the reranker reads), and the mean number of distinct leaf categories in a feed.
        public var intraListSimilarity: Double
        public var leafCategoriesPerFeed: Double
    }

    public static func run(_ data: StoreSnapshot, configuration: PipelineConfiguration, holdoutSeconds: TimeInterval = 86_400,
                           n: Int = 50, sampleUsers sampleSize: Int = 2_000, trainModels: Bool = true, seed: UInt64 = 7,
                           split: ((Split) throws -> Void)? = nil) async throws -> Report {
        try await run(data, configuration: configuration, variants: [("", PipelineOverrides())], holdoutSeconds: holdoutSeconds,
                      n: n, sampleUsers: sampleSize, trainModels: trainModels, seed: seed, split: split)[0].report
    }

    /// What the feed is judged on, for peers to be judged on the same: the positive actions
    /// before the split (what everything trains on), and each sampled user's held-out items.
    public struct Split: Sendable {
        public var training: [Event]
        public var heldOut: [(user: String, items: Set<String>)]
    }

    /// The feed judged under each of `variants` (settings a built pipeline takes, as an
    /// experiment's arms have), over the same pipeline, trained models and users: offline, what
    /// each arm of an experiment would do. Fails, naming the variant, on settings the pipeline
    /// cannot take.
    public static func run(_ data: StoreSnapshot, configuration: PipelineConfiguration, variants: [(name: String, overrides: PipelineOverrides)],
                           holdoutSeconds: TimeInterval = 86_400, n: Int = 50, sampleUsers sampleSize: Int = 2_000, trainModels: Bool = true,
                           seed: UInt64 = 7, split writeSplit: ((Split) throws -> Void)? = nil) async throws -> [(name: String, report: Report)] {
        let (items, users, events) = (data.items, data.users, data.events)
        guard let end = events.lazy.map(\.timestamp).max() else { throw PipelineError("no events to evaluate the feed on") }
        let split = end.addingTimeInterval(-holdoutSeconds)
        let history = events.filter { $0.timestamp < split }
        var heldOut: [String: Set<String>] = [:]
        for event in events where event.timestamp >= split && InterestWeights.standard.weight(of: event.type) > 0 {
            heldOut[event.userID, default: []].insert(event.itemID)
        }
        guard !heldOut.isEmpty, !history.isEmpty else { throw PipelineError("no positive actions on both sides of \(split) to evaluate on") }

        var twoTower: (model: TwoTower, features: TwoTowerFeatures)?
        var ranker: (any Ranker)?, preRanker: (any Ranker)?
        if trainModels {
            let cutoff = (try? RankerTraining.examples(history, configuration: configuration))?.first?.timestamp
            if let trained = try? TwoTowerFeedTraining.train(items: items, events: history, before: cutoff, objective: configuration.twoTower) {
                twoTower = (trained.model, trained.features)
            }
            let outcome = try? await RankerTraining.train(items: items, users: users, events: history, configuration: configuration,
                                                         twoTower: twoTower)
            (ranker, preRanker) = (outcome?.ranker, outcome?.preRanker?.ranker)
        }
        let built = try FeedPipeline(version: "evaluation", configuration: configuration, items: items, users: users, events: history, now: split,
                                     ranker: ranker, preRanker: preRanker, twoTower: twoTower)

        var random = SplitMix64(seed: seed)
        var sample = heldOut.keys.sorted()
        for k in stride(from: sample.count - 1, to: 0, by: -1) { sample.swapAt(k, Int(random.next() % UInt64(k + 1))) }
        sample = Array(sample.prefix(sampleSize))
        try writeSplit?(Split(training: history.filter { InterestWeights.standard.weight(of: $0.type) > 0 },
                          heldOut: sample.map { ($0, heldOut[$0]!) }))
        var reports: [(name: String, report: Report)] = []
        for (name, overrides) in variants {
            let pipeline: FeedPipeline
            do { pipeline = try built.applying(overrides) } catch { throw PipelineError("\(name): \(error)") }
            reports.append((name, await judge(pipeline, users: sample, heldOut: heldOut, at: split, n: n)))
        }
        return reports
    }

    /// Feeds for `sample` as of `split`, scored against what each did after it.
    static func judge(_ pipeline: FeedPipeline, users sample: [String], heldOut: [String: Set<String>], at split: Date, n: Int) async -> Report {
        let retriever = pipeline.retriever
        let state = LiveState(for: pipeline.configuration)
        var feedRecall = 0.0, feedHits = 0, popularRecall = 0.0, popularHits = 0, candidateRecall = 0.0
        var feedNDCG = 0.0, popularNDCG = 0.0
        var channelRecall: [String: Double] = [:], channelRecallAtN: [String: Double] = [:], channelNDCGAtN: [String: Double] = [:]
        var similarity = 0.0, leaves = 0.0
        for user in sample {
            let relevant = heldOut[user]!
            func recall(_ list: some Sequence<String>) -> Double { Double(relevant.intersection(list).count) / Double(relevant.count) }
            let feed = await pipeline.feed(FeedRequest(user: user, n: n, now: split), state: state).items.map(\.item)
            feedRecall += recall(feed)
            feedNDCG += ndcg(feed, relevant: relevant, n: n)
            let levels = feed.map { Set(pipeline.item($0)?.categoryLevels ?? []) }
            similarity += intraListSimilarity(levels)
            leaves += Double(Set(feed.compactMap { pipeline.item($0)?.categories.first }).count)
            if !relevant.isDisjoint(with: feed) { feedHits += 1 }
            let context = pipeline.indexes.context(for: user, now: split, location: nil)
            let popular = pipeline.popularItems(n) { context.actedOn.contains($0) }
            popularRecall += recall(popular)
            popularNDCG += ndcg(popular, relevant: relevant, n: n)
            if !relevant.isDisjoint(with: popular) { popularHits += 1 }
            let candidates = await retriever.retrieve(for: context).candidates
            candidateRecall += recall(candidates.map(\.item))
            var byChannel: [String: [(rank: Int, item: String)]] = [:]
            for candidate in candidates { for p in candidate.provenance { byChannel[p.channel, default: []].append((p.rank, candidate.item)) } }
            for source in pipeline.sources {
                let name = source.channel.name
                let ranked = (byChannel[name] ?? []).sorted { $0.rank < $1.rank }.map(\.item)
                channelRecall[name, default: 0] += recall(ranked)
                channelRecallAtN[name, default: 0] += recall(ranked.prefix(n))
                channelNDCGAtN[name, default: 0] += ndcg(ranked, relevant: relevant, n: n)
            }
        }
        let count = Double(sample.count)
        return Report(users: sample.count, heldOutActions: sample.reduce(0) { $0 + heldOut[$1]!.count }, n: n,
                      feedRecall: feedRecall / count, feedHitRate: Double(feedHits) / count, feedNDCG: feedNDCG / count,
                      popularRecall: popularRecall / count, popularHitRate: Double(popularHits) / count, popularNDCG: popularNDCG / count,
                      channelRecall: channelRecall.mapValues { $0 / count }, channelRecallAtN: channelRecallAtN.mapValues { $0 / count },
                      channelNDCGAtN: channelNDCGAtN.mapValues { $0 / count }, candidateRecall: candidateRecall / count, ranker: pipeline.rankerName,
                      reranker: pipeline.reranker.name, intraListSimilarity: similarity / count, leafCategoriesPerFeed: leaves / count)
    }

    /// NDCG@n of `list` with every item of `relevant` of gain 1.
    public static func ndcg(_ list: some Sequence<String>, relevant: Set<String>, n: Int) -> Double {
        var dcg = 0.0
        for (k, item) in list.prefix(n).enumerated() where relevant.contains(item) { dcg += 1 / Foundation.log2(Double(k + 2)) }
        let ideal = (0..<min(n, relevant.count)).reduce(0.0) { $0 + 1 / Foundation.log2(Double($1 + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// The average Jaccard overlap of every pair of the items' category levels (0 for fewer
    /// than two items; an item without categories is like nothing).
    public static func intraListSimilarity(_ levels: [Set<String>]) -> Double {
        guard levels.count >= 2 else { return 0 }
        var sum = 0.0
        for a in levels.indices {
            for b in levels.indices where b > a {
                let union = levels[a].union(levels[b]).count
                if union > 0 { sum += Double(levels[a].intersection(levels[b]).count) / Double(union) }
            }
        }
        return sum / Double(levels.count * (levels.count - 1) / 2)
    }
}
