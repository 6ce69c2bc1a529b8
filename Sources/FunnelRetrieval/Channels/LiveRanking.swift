import Foundation
import FunnelData

/// A ranked-list channel (popular or trending) kept up to date with the engagement written since
/// the pipeline serving was built: an item the latest events lift joins the list at once rather
/// than at the next rebuild. It starts from the built channel's scores (`restart`) and adds each
/// event's weight as that channel counts it, decayed by `halfLife` (trending) or not (popular).
///
/// Decayed scores are kept as Σ w · 2^((t − epoch) / halfLife), the epoch being the build: at
/// the build this is the built channel's own score, it orders items as the decayed sum at any
/// later moment does, and it only grows, so a write can only lift the items it touches into
/// the listed best: each event moves its item up the list (a binary search and a shift),
/// and nothing else moves.
///
/// Given where items are (`restart(…, place:)`), it also finds the items the writes touched
/// near a place, for the nearby channels' quality order.
public final class LiveRanking: RetrievalChannel, @unchecked Sendable {   // state guarded by `lock`
    public let name: String
    /// nil: events never decay (popular).
    public let halfLife: TimeInterval?
    public let weights: InterestWeights
    /// Events kept at most between rebuilds (the oldest go first).
    public static let capacity = 1_000_000
    /// Items listed (the channel's quota rarely asks for more).
    static let listed = 1_000

    private let lock = NSLock()
    private var epoch: Date
    /// Every item's score in the built channel, and its row there (for the retriever's merge).
    private var base: [String: (score: Double, row: Int32)] = [:]
    private var events: [(item: String, weight: Double, time: Date)] = []
    /// The scores of the items events touched since the build: base and events.
    private var scores: [String: Double] = [:]
    private var ranking: [ScoredItem] = []
    /// The items of `ranking`.
    private var isListed: Set<String> = []
    private var place: (@Sendable (String) -> GeoPoint?)?
    /// The located items events touched since the build, by `PlaceCells` key.
    private var touchedByCell: [String: Set<String>] = [:]

    public init(name: String, halfLife: TimeInterval?, weights: InterestWeights = .standard, epoch: Date = Date()) {
        (self.name, self.halfLife, self.weights, self.epoch) = (name, halfLife, weights, epoch)
    }

    /// Whether events were written since the build: until then the built channel's list is this one.
    public var hasWrites: Bool { lock.withLock { !scores.isEmpty } }

    /// Adds the interest of `written` (an exposure weighs nothing).
    public func record(_ written: [Event]) {
        lock.withLock {
            for event in written {
                let weight = weights.weight(of: event.type)
                guard weight != 0 else { continue }
                events.append((event.itemID, weight, event.timestamp))
                let before = score(of: event.itemID)
                add(weight, at: event.timestamp, to: event.itemID)
                lift(event.itemID, from: before)
            }
            if events.count > Self.capacity { events.removeFirst(events.count - Self.capacity) }
        }
    }

    /// Starts again from a channel built at `time` with `built` as its ranking: the events before
    /// `time` are in it and are forgotten, the later ones are added to it. `place`: where an
    /// item is, if anywhere.
    public func restart(at time: Date, built: [ScoredItem], place: (@Sendable (String) -> GeoPoint?)? = nil) {
        lock.withLock {
            epoch = time
            base = Dictionary(built.map { ($0.item, ($0.score, $0.row)) }, uniquingKeysWith: { first, _ in first })
            self.place = place
            events.removeAll { $0.time < time }
            scores = [:]
            touchedByCell = [:]
            for event in events { add(event.weight, at: event.time, to: event.item) }
            rerank(built.prefix(Self.listed).map(\.item) + scores.keys)
        }
    }

    /// The items writes touched within the geohash cell of `precision` (at least
    /// `PlaceCells.precision`) around `location` and its eight neighbours, with their scores.
    public func touched(near location: GeoPoint, precision: Int) -> [ScoredItem] {
        let (cells, keys) = PlaceCells.neighbourhood(of: location, precision: precision)
        return lock.withLock {
            guard let place, !touchedByCell.isEmpty else { return [] }
            return keys.flatMap { touchedByCell[$0] ?? [] }.compactMap { item in
                place(item).flatMap { PlaceCells.contains(cells, $0, precision: precision) ? ScoredItem(item: item, score: scores[item]!, row: base[item]?.row ?? -1) : nil }
            }
        }
    }

    /// Adds an event's weight to `item`'s score, and places the item if it was not touched yet.
    private func add(_ weight: Double, at time: Date, to item: String) {
        let decayed = halfLife.map { weight * exp2(time.timeIntervalSince(epoch) / $0) } ?? weight
        if scores[item] == nil, let point = place?(item) { touchedByCell[PlaceCells.key(of: point), default: []].insert(item) }
        scores[item] = (scores[item] ?? base[item]?.score ?? 0) + decayed
    }

    private func score(of item: String) -> Double { scores[item] ?? base[item]?.score ?? 0 }

    /// Lists the best `listed` of `items` (each once) by their current scores.
    private func rerank(_ items: some Sequence<String>) {
        let scored = Set(items).map { ScoredItem(item: $0, score: score(of: $0), row: base[$0]?.row ?? -1) }
        ranking = Array(scored.sorted(by: ScoredItem.bestFirst).prefix(Self.listed))
        isListed = Set(ranking.map(\.item))
    }

    /// Moves `item`, whose score rose from `before`, to its place in the list, if it makes it.
    private func lift(_ item: String, from before: Double) {
        let row = base[item]?.row ?? -1
        let lifted = ScoredItem(item: item, score: score(of: item), row: row)
        if isListed.contains(item) {
            ranking.remove(at: place(of: ScoredItem(item: item, score: before, row: row)))
        } else {
            if ranking.count >= Self.listed, let last = ranking.last, !ScoredItem.bestFirst(lifted, last) { return }
            isListed.insert(item)
        }
        ranking.insert(lifted, at: place(of: lifted))
        if ranking.count > Self.listed { isListed.remove(ranking.removeLast().item) }
    }

    /// The index of the first listed item not better than `probe` (its own index when listed).
    private func place(of probe: ScoredItem) -> Int {
        var (low, high) = (0, ranking.count)
        while low < high {
            let middle = (low + high) / 2
            if ScoredItem.bestFirst(ranking[middle], probe) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The listed items, best first.
    public func ranked(limit: Int) -> [ScoredItem] { lock.withLock { Array(ranking.prefix(limit)) } }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let ranking = lock.withLock { self.ranking }
        var result: [ScoredItem] = []
        for item in ranking where result.count < limit && !context.hasActedOn(item) { result.append(item) }
        return result
    }
}
