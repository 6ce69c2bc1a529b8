import Foundation
import FunnelData

/// Nearby items: items indexed by the geohash cell of their location, each cell's list ranked by
/// a quality score; a request reads the user's cell and its eight neighbours (so a user near a
/// cell's edge still sees the other side) and merges them by quality. Precision 5 (cells of about
/// 5 km) is the "nearby" channel; precision 4 (about 40 × 20 km) stands in for "same city".
public struct GeohashChannel: RetrievalChannel {
    public let name: String
    public let precision: Int
    /// Cell → items, best first.
    let cells: [String: [ScoredItem]]

    /// Indexes the available located items; `quality` scores them (e.g. decayed popularity),
    /// items without a score ranking last by recency. Items are tagged with their rows in
    /// `space` when one is given.
    public init(name: String = "geohash", precision: Int = 5, items: some Sequence<Item>, quality: [String: Double], now: Date,
                perCell: Int = 500, space: IDInterner? = nil) {
        self.name = name
        self.precision = precision
        var cells: [String: [ScoredItem]] = [:]
        for item in items {
            guard let location = item.location, item.isAvailable(at: now) else { continue }
            cells[Geohash.encode(location, precision: precision), default: []]
                .append(ScoredItem(item: item.id, score: quality[item.id] ?? 0, row: space?.lookup(item.id) ?? -1))
        }
        self.cells = cells.mapValues { Array($0.sorted(by: ScoredItem.bestFirst).prefix(perCell)) }
    }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        guard let location = context.location else { return [] }
        // Each cell's list is sorted: merge the nine heads instead of sorting them all.
        let lists = Geohash.neighbourhood(Geohash.encode(location, precision: precision)).compactMap { cells[$0] }
        var next = [Int](repeating: 0, count: lists.count)
        var merged: [ScoredItem] = []
        while merged.count < limit {
            var best: Int?
            for k in lists.indices where next[k] < lists[k].count {
                if best.map({ ScoredItem.bestFirst(lists[k][next[k]], lists[$0][next[$0]]) }) ?? true { best = k }
            }
            guard let k = best else { break }
            merged.append(lists[k][next[k]])
            next[k] += 1
        }
        return merged
    }
}

/// A geohash channel with its items' quality brought up to date: the items the latest writes
/// touched near the request (`LiveRanking.touched`) take their new scores, and join the
/// merged list by them.
public struct LiveGeohashChannel: RetrievalChannel {
    public let built: GeohashChannel
    public let quality: LiveRanking
    public var name: String { built.name }

    public init(_ built: GeohashChannel, quality: LiveRanking) { (self.built, self.quality) = (built, quality) }

    public func retrieve(for context: RetrievalContext, limit: Int) async throws -> [ScoredItem] {
        let listed = try await built.retrieve(for: context, limit: limit)
        guard let location = context.location else { return listed }
        let lifted = quality.touched(near: location, precision: built.precision)
        guard !lifted.isEmpty else { return listed }
        let liftedItems = Set(lifted.map(\.item))
        return Array((listed.filter { !liftedItems.contains($0.item) } + lifted).sorted(by: ScoredItem.bestFirst).prefix(limit))
    }
}
