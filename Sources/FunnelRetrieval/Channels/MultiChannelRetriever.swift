import Foundation
import FunnelData
import FunnelIndex

/// Runs every channel concurrently, filters what they return, keeps each channel to its quota and
/// merges them without duplicates, remembering which channels proposed each item.
public struct MultiChannelRetriever: Sendable {
    public struct Source: Sendable {
        public var channel: any RetrievalChannel
        /// Candidates this channel may contribute after filtering.
        public var quota: Int

        public init(_ channel: any RetrievalChannel, quota: Int) {
            self.channel = channel
            self.quota = quota
        }
    }

    /// A merged candidate: the item and every channel that proposed it, with its score and rank there.
    public struct Candidate: Sendable, Equatable {
        public var item: String
        /// The item's row in the retriever's `space`, −1 without one or outside it.
        public var row: Int32
        /// The channels that proposed it, in merge order: a slice of one array shared by all the
        /// candidates of a retrieval (one allocation per request, not per candidate).
        public var provenance: ArraySlice<Provenance>

        public init(item: String, row: Int32 = -1, provenance: ArraySlice<Provenance>) {
            self.item = item
            self.row = row
            self.provenance = provenance
        }
    }

    public struct Provenance: Sendable, Equatable {
        public var channel: String
        /// The channel's position among the retriever's sources.
        public var source: Int
        public var score: Double
        public var rank: Int

        public init(channel: String, source: Int = 0, score: Double, rank: Int) {
            self.channel = channel
            self.source = source
            self.score = score
            self.rank = rank
        }
    }

    public struct Result: Sendable {
        public var candidates: [Candidate]
        /// Channels that failed, with their errors; the others still serve.
        public var failures: [String: String]
        /// How long each channel took, in seconds (failed ones too).
        public var seconds: [String: Double]
    }

    public var sources: [Source]
    public var filters: [any CandidateFilter]
    /// With filters, channels are asked for `quota × overfetch` items so that filtering still
    /// leaves the quota; without, for their quota (the rest would be cut unread).
    public var overfetch: Double = 2
    /// Whether the channels run as concurrent tasks, or one after another in the caller's.
    public var concurrent = true
    /// The item space of the channels' rows (`RetrievalIndexes.items`): with it, candidates are
    /// merged by row and carry it, so that nothing downstream hashes their ids.
    public var space: IDInterner?

    public init(sources: [Source], filters: [any CandidateFilter] = []) {
        self.sources = sources
        self.filters = filters
    }

    /// Candidates interleaved by rank (every channel's first, then every channel's second, …), so
    /// that cutting the list keeps each channel's best; an item proposed again keeps its first
    /// place and gains the later channel in its provenance.
    public func retrieve(for context: RetrievalContext) async -> Result {
        let overfetch = overfetch, filters = filters
        var lists = [[ScoredItem]](repeating: [], count: sources.count)
        var failures: [String: String] = [:]
        var seconds: [String: Double] = [:]
        let fetch = { @Sendable (source: Source) async -> (Swift.Result<[ScoredItem], any Error>, Duration) in
            let clock = ContinuousClock(), started = clock.now
            do {
                let asked = filters.isEmpty ? source.quota : Int((Double(source.quota) * overfetch).rounded(.up))
                let items = try await source.channel.retrieve(for: context, limit: asked)
                return (.success(Array(items.lazy.filter { item in filters.allSatisfy { $0.allows(item.item, in: context) } }
                                        .prefix(source.quota))), clock.now - started)
            } catch {
                return (.failure(error), clock.now - started)
            }
        }
        func collect(_ k: Int, _ outcome: Swift.Result<[ScoredItem], any Error>, _ took: Duration) {
            seconds[sources[k].channel.name] = took.seconds
            switch outcome {
            case .success(let items): lists[k] = items
            case .failure(let error): failures[sources[k].channel.name] = String(describing: error)
            }
        }
        if concurrent {
            await withTaskGroup(of: (Int, Swift.Result<[ScoredItem], any Error>, Duration).self) { group in
                for (k, source) in sources.enumerated() {
                    group.addTask { let (outcome, took) = await fetch(source); return (k, outcome, took) }
                }
                for await (k, outcome, took) in group { collect(k, outcome, took) }
            }
        } else {
            for (k, source) in sources.enumerated() {
                let (outcome, took) = await fetch(source)
                collect(k, outcome, took)
            }
        }
        // First the candidates and the owner of each proposal, then every candidate's provenance
        // laid out contiguously in one array.
        let proposals = lists.reduce(0) { $0 + $1.count }
        var positionOfRow: [Int32: Int32] = [:], positionOfID: [String: Int32] = [:]
        positionOfRow.reserveCapacity(proposals)
        var items: [(item: String, row: Int32)] = [], counts: [Int32] = []
        var owners: [(candidate: Int32, source: Int32, rank: Int32)] = []
        items.reserveCapacity(proposals)
        owners.reserveCapacity(proposals)
        let space = space
        // Checking a proposal's row reads that row's id, a cache miss each: all are requested at once.
        if let space { Prefetch.elements(of: space.ids, at: lists.flatMap { $0.map(\.row) }) }
        for rank in 0..<(lists.map(\.count).max() ?? 0) {
            for (k, list) in lists.enumerated() where rank < list.count {
                let proposal = list[rank]
                let row = space?.row(of: proposal.item, hint: proposal.row) ?? -1
                var at = row >= 0 ? positionOfRow[row] : positionOfID[proposal.item]
                if at == nil {
                    at = Int32(items.count)
                    if row >= 0 { positionOfRow[row] = at } else { positionOfID[proposal.item] = at }
                    items.append((proposal.item, row))
                    counts.append(0)
                }
                counts[Int(at!)] += 1
                owners.append((at!, Int32(k), Int32(rank)))
            }
        }
        var starts = [Int](repeating: 0, count: items.count + 1)
        for c in counts.indices { starts[c + 1] = starts[c] + Int(counts[c]) }
        var next = starts
        let names = sources.map(\.channel.name)
        var provenance = [Provenance](repeating: Provenance(channel: "", score: 0, rank: 0), count: owners.count)
        for (candidate, source, rank) in owners {
            let k = Int(source)
            provenance[next[Int(candidate)]] = Provenance(channel: names[k], source: k, score: lists[k][Int(rank)].score, rank: Int(rank))
            next[Int(candidate)] += 1
        }
        let candidates = items.indices.map { c in
            Candidate(item: items[c].item, row: items[c].row, provenance: provenance[starts[c]..<starts[c + 1]])
        }
        return Result(candidates: candidates, failures: failures, seconds: seconds)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
