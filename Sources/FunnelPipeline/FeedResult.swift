import Foundation
import FunnelData

/// One feed request.
public struct FeedRequest: Sendable {
    public var user: String
    public var n: Int
    public var now: Date
    /// Where the user is now; else their home, if known.
    public var location: GeoPoint?
    /// The device and city the request comes from; else the user's latest logged ones.
    public var device: String?
    public var city: String?
    public var explain: Bool

    public init(user: String, n: Int = 20, now: Date = Date(), location: GeoPoint? = nil, device: String? = nil, city: String? = nil,
                explain: Bool = false) {
        self.user = user
        self.n = n
        self.now = now
        self.location = location
        self.device = device
        self.city = city
        self.explain = explain
    }
}

/// A feed: the items in order, and with `explain` how they got there.
public struct FeedResult: Codable, Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var item: String
        /// The relevance the reranker ordered by: the fusion of the ranker's predictions.
        public var score: Double
        /// With `explain`: the channels that proposed the item, with their scores and ranks.
        public var channels: [ChannelScore]?
        /// With `explain`: the ranker's prediction of each objective it predicts, by name.
        public var predictions: [String: Double]?

        public init(item: String, score: Double, channels: [ChannelScore]? = nil, predictions: [String: Double]? = nil) {
            self.item = item
            self.score = score
            self.channels = channels
            self.predictions = predictions
        }
    }

    public struct ChannelScore: Codable, Sendable, Equatable {
        public var channel: String
        public var score: Double
        public var rank: Int
    }

    /// What each stage did: candidates per channel, what each filter removed, how many were
    /// ranked and reranked, channels that failed, and which model served.
    public struct Explanation: Codable, Sendable {
        public var retrievedByChannel: [String: Int]
        public var merged: Int
        public var removedByFilter: [String: Int]
        /// The candidates the pre-ranker cut to the `ranked` ones, when it did.
        public var preRanked: Int?
        public var preRanker: String?
        public var ranked: Int
        public var reranked: Int
        public var failedChannels: [String: String]
        public var pipelineVersion: String
        public var ranker: String
        /// Why the configured ranker is not the one serving, if it is not.
        public var rankerNotice: String?
        public var reranker: String
        /// Milliseconds spent in each stage (retrieve, filter, rank, rerank) and in each channel.
        public var stageMilliseconds: [String: Double]
        public var channelMilliseconds: [String: Double]
    }

    public var user: String
    public var items: [Entry]
    public var explanation: Explanation?
    /// Whether the user had no history to start from (not part of the JSON).
    public var isColdStart = false
    /// How long each stage took, for the server's metrics (not part of the JSON).
    public var timings = StageTimings()

    enum CodingKeys: String, CodingKey { case user, items, explanation }

    public init(user: String, items: [Entry], explanation: Explanation? = nil, isColdStart: Bool = false, timings: StageTimings = StageTimings()) {
        (self.user, self.items, self.explanation, self.isColdStart, self.timings) = (user, items, explanation, isColdStart, timings)
    }
}

/// Seconds spent in each stage of one feed, and in each retrieval channel (which run
/// concurrently, so their sum may exceed the retrieve stage). The pre-rank stage is the
/// pre-ranker's cut; the rank stage the rest of ranking, every candidate's features included.
public struct StageTimings: Sendable {
    public var retrieve = 0.0, filter = 0.0, preRank = 0.0, rank = 0.0, rerank = 0.0
    public var channels: [String: Double] = [:]

    public init() {}

    public var stages: KeyValuePairs<String, Double> {
        ["retrieve": retrieve, "filter": filter, "pre-rank": preRank, "rank": rank, "rerank": rerank]
    }
}
