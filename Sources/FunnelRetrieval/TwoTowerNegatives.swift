import Foundation
import FunnelData
import FunnelTensor

/// The keys of each training batch of a two-tower model (see `TwoTowerObjective`): the batch's
/// positives, then its sampled or hard negatives, with the correction that masks accidental
/// hits and, for the listwise loss, subtracts log of each key's expected count in the batch.
struct TwoTowerNegatives {
    struct Keys {
        /// The items whose vectors are the keys; key i < batch size is user i's positive.
        var items: [Int32]
        /// `[users, keys]` to add to the logits (−∞ masks), or nil when nothing is added.
        var correction: Tensor?
    }

    let objective: TwoTowerObjective
    let itemCount: Int
    private let frequency: [Double]
    private let popularity: [Double]
    private let popularityTotal: Double
    private let logQ: Bool
    private var generator: SplitMix64

    /// - Parameters:
    ///   - targets: every training positive, for the items' frequencies.
    ///   - logQ: whether the listwise loss is corrected by the keys' sampling probabilities.
    init(_ objective: TwoTowerObjective, targets: [Int32], itemCount: Int, logQ: Bool, seed: UInt64) {
        self.objective = objective
        self.itemCount = itemCount
        var counts = [Double](repeating: 0, count: itemCount)
        for t in targets { counts[Int(t)] += 1 }
        frequency = counts.map { $0 / Double(max(1, targets.count)) }
        popularity = SplitMix64.cumulative(counts, power: 0.75)
        popularityTotal = popularity.last ?? 0
        self.logQ = logQ && objective.loss == .listwise
        generator = SplitMix64(seed: seed)
    }

    /// The keys of a batch whose user i took `targets[i]`; `hard[i]`, for `.hard`, is the item
    /// to add as user i's hard negative.
    mutating func keys(targets: [Int32], hard: [Int32]? = nil) -> Keys {
        let b = targets.count
        var items = targets
        // Each key's expected count in the batch under the draw it came from (for logQ).
        var expected = targets.map { Double(b) * frequency[Int($0)] }
        switch objective.negatives {
        case .inBatch:
            break
        case .popularity:
            let s = Double(objective.sampled)
            expected = targets.map { s * probability(of: $0) }
            for _ in 0..<objective.sampled {
                let item = Int32(generator.pick(cumulative: popularity))
                items.append(item)
                expected.append(s * probability(of: item))
            }
        case .mixed:
            for _ in 0..<objective.sampled {
                items.append(Int32(generator.next() % UInt64(itemCount)))
                expected.append(Double(objective.sampled) / Double(itemCount))
            }
        case .hard:
            precondition(hard?.count == b, "hard negatives: \(hard?.count ?? 0) for a batch of \(b)")
            items += hard!
            expected += [Double](repeating: 1, count: b)
        }
        let k = items.count
        var columns: [Int32: [Int]] = [:]
        for (j, item) in items.enumerated() { columns[item, default: []].append(j) }
        let excludesBatch = objective.negatives == .popularity
        let hits = targets.enumerated().contains { i, t in columns[t]!.contains { $0 != i } }
        guard logQ || excludesBatch || hits else { return Keys(items: items, correction: nil) }
        let base = expected.map { logQ ? -Float(Foundation.log(max($0, 1e-12))) : 0 }
        let correction = Tensor(shape: [b, k]) { c, _ in
            for i in 0..<b {
                let row = c + i * k
                row.update(from: base, count: k)
                if excludesBatch { for j in 0..<b where j != i { row[j] = -.infinity } }
                for j in columns[targets[i]]! where j != i { row[j] = -.infinity }
            }
        }
        return Keys(items: items, correction: correction)
    }

    private func probability(of item: Int32) -> Double {
        let i = Int(item)
        return (popularity[i] - (i == 0 ? 0 : popularity[i - 1])) / max(popularityTotal, 1e-12)
    }

    /// A user's hard negative: the item at a random rank in `objective.hardRanks` of
    /// `ranked` (best first) among those not in `taken` (sorted), or the last such item.
    mutating func hardNegative(ranked: [Int32], taken: [Int32]) -> Int32 {
        let ranks = objective.hardRanks
        let rank = ranks.lowerBound + Int(generator.next() % UInt64(max(1, ranks.count)))
        var seen = 0
        var last = ranked.last ?? Int32(generator.next() % UInt64(itemCount))
        for item in ranked where !taken.sortedContains(item) {
            last = item
            if seen == rank { return item }
            seen += 1
        }
        return last
    }
}
