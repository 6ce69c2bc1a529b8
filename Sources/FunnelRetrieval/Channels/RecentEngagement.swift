import Foundation
import FunnelData

/// The engagement written since the pipeline serving was built, decayed as the trending channel
/// decays it: the items it favours join that channel at once rather than at the next rebuild.
///
/// Scores are kept as Σ w · 2^((t − epoch) / halfLife), which orders items as the decayed sum at
/// any later moment does and only grows, so a write can only lift the items it touches into the
/// listed best: each write re-ranks the list and those items, not every item.
public final class RecentEngagement: RetrievalChannel, @unchecked Sendable {   // state guarded by `lock`
    public let name = "trending"
    public let halfLife: TimeInterval
    public let weights: InterestWeights
    /// Events kept at most between rebuilds (the oldest go first).
    public static let capacity = 1_000_000
    /// Items listed (the channel's quota rarely asks for more).
    static let listed = 1_000

    private let lock = NSLock()
    private var epoch: Date
    private var events: [(item: String, weight: Double, time: Date)] = []
    private var scores: [String: Double] = [:]
    private var ranking: [ScoredItem] = []

    public init(halfLife: TimeInterval = 6 * 3600, weights: InterestWeights = .standard, epoch: Date = Date()) {
        (self.halfLife, self.weights, self.epoch) = (halfLife, weights, epoch)
    }

    public var isEmpty: Bool { lock.withLock { ranking.isEmpty } }

    /// Adds the interest of `written` (an exposure weighs nothing).
    public func record(_ written: [Event]) {
        lock.withLock {
            var touched: Set<String> = []
            for event in written {
                let weight = weights.weight(of: event.type)
                guard weight != 0 else { continue }
                events.append((event.itemID, weight, event.timestamp))
                scores[event.itemID, default: 0] += score(weight, at: event.timestamp)
                touched.insert(event.itemID)
            }
            if events.count > Self.capacity { events.removeFirst(events.count - Self.capacity) }
            guard !touched.isEmpty else { return }
            let listed = Set(ranking.map(\.item))
            let lifted = ranking.map { ScoredItem(item: $0.item, score: scores[$0.item] ?? 0) }
                + touched.filter { !listed.contains($0) }.map { ScoredItem(item: $0, score: scores[$0]!) }
            ranking = Array(lifted.sorted(by: ScoredItem.bestFirst).prefix(Self.listed))
        }
    }

    /// Forgets the events before `time` (a pipeline built from the store at `time` has them) and
    /// ranks the rest anew from that moment.
    public func restart(at time: Date) {
        lock.withLock {
            epoch = time
            events.removeAll { $0.time < time }
            scores = [:]
            for event in events { scores[event.item, default: 0] += score(event.weight, at: event.time) }
            ranking = Array(scores.map { ScoredItem(item: $0.key, score: $0.value) }.sorted(by: ScoredItem.bestFirst).prefix(Self.listed))
        }
    }

    private func score(_ weight: Double, at time: Date) -> Double { weight * exp2(time.timeIntervalSince(epoch) / halfLife) }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let ranking = lock.withLock { self.ranking }
        var result: [ScoredItem] = []
        for item in ranking where result.count < limit && !context.hasActedOn(item) { result.append(item) }
        return result
    }
}
