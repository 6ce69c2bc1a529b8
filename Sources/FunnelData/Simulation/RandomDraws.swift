import Foundation

/// The draws the feed simulation needs, on the seeded generator.
extension SplitMix64 {
    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u = max(nextUnitDouble(), 1e-300), v = nextUnitDouble()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    mutating func bernoulli(_ p: Double) -> Bool { nextUnitDouble() < p }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A Poisson draw by inversion; the simulation's rates are small.
    mutating func poisson(_ mean: Double) -> Int {
        let limit = exp(-mean)
        var k = 0, product = nextUnitDouble()
        while product > limit, k < 1000 {
            k += 1
            product *= nextUnitDouble()
        }
        return k
    }

    /// The prefix-sum table for `pick(cumulative:)` of the weights count^`power` (0.75 for
    /// word2vec-style negatives; 0 weighs every index alike, a count of 0 included).
    public static func cumulative(_ counts: [Double], power: Double) -> [Double] {
        var sum = 0.0
        return counts.map { count in
            sum += pow(count, power)
            return sum
        }
    }

    /// An index drawn with probability proportional to `cumulative` increments (a prefix-sum table).
    public mutating func pick(cumulative: [Double]) -> Int {
        let target = nextUnitDouble() * cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// A generator for one (stream, a, b) cell, so every user-day draws the same numbers whatever
    /// was simulated before it.
    static func derived(_ seed: UInt64, _ stream: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> SplitMix64 {
        var g = SplitMix64(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        g.state ^= g.next() ^ (a &* 0xD1B5_4A32_D192_ED03)
        g.state ^= g.next() ^ (b &* 0x8CB9_2BA7_2F3D_8DD7)
        _ = g.next()
        return g
    }
}

/// Zipf weights `1 / rank^s` as a prefix-sum table for `pick(cumulative:)`.
func zipfTable(_ n: Int, exponent s: Double) -> [Double] {
    var total = 0.0
    return (1...n).map { total += 1 / pow(Double($0), s); return total }
}

func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
