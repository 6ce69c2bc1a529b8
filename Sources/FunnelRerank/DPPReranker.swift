import Foundation
import FunnelStages

/// A determinantal point process over the candidates, with the fast greedy MAP inference of
/// Chen, Zhang & Zhou (NeurIPS 2018): the feed is filled one slot at a time with the candidate
/// that most increases log det L_Y of the placed set Y, for the kernel
/// `L_ij = q_i · S_ij · q_j` with `q_i = exp(α · relevance_i)`, α = θ / (2(1 − θ)), relevances
/// rescaled to [0, 1] first, and `S_ij = β · similarity(i, j)` off the diagonal, 1 on it.
/// θ weighs relevance against diversity: 0 is diversity alone, near 1 the relevance order.
/// β < 1 keeps two items of similarity 1 (the same category) from making L singular, which would
/// forbid the second whatever its relevance: the kernel stays positive semi-definite whenever
/// the similarity is, as a mixture of it and the identity.
///
/// Each candidate keeps the Cholesky row of its kernel column against the placed items, so
/// that a step costs one dot product per candidate (O(k²·n) for k of n) rather than a
/// determinant. With a `window` of w, a candidate is judged against the last w − 1 placed items
/// only (the paper's sliding window): once the window is full, its rows are recomputed from
/// those items at each step, O(w²·n) per step. When no candidate adds to the determinant (the
/// rest repeat what is placed), the remaining slots follow relevance.
public struct DPPReranker: Reranker {
    public var name: String { "dpp" }
    /// Weight of relevance against diversity, in [0, 1).
    public var theta: Double
    /// How many consecutive slots must be diverse together (nil: the whole feed).
    public var window: Int?
    /// β, the weight of the similarity off the diagonal, in [0, 1].
    public var similarityWeight: Double

    /// Below this conditional variance a candidate adds nothing the placed items do not have.
    static let epsilon = 1e-10

    public init(theta: Double = 0.7, window: Int? = nil, similarityWeight: Double = 0.9) {
        precondition((0..<1).contains(theta), "theta must be within [0, 1)")
        precondition(window.map { $0 >= 2 } ?? true, "a window holds at least two slots")
        precondition((0...1).contains(similarityWeight), "similarityWeight must be within [0, 1]")
        (self.theta, self.window, self.similarityWeight) = (theta, window, similarityWeight)
    }

    public func order(relevance: [Double], n: Int, similarity: (Int, Int) -> Double) -> [Int] {
        let count = relevance.count, k = min(max(0, n), count)
        guard k > 0 else { return [] }
        let alpha = theta / (2 * (1 - theta))
        let quality = Self.unitScaled(relevance).map { exp(alpha * $0) }
        // The placed items a candidate is conditioned on, at most.
        let width = window.map { $0 - 1 } ?? k
        // Per candidate, its Cholesky row against the basis and its conditional variance
        // L_ii − ‖row_i‖²; per member of the basis, its kernel column L_j· (the rows of a window
        // are recomputed from them).
        let rows = UnsafeMutablePointer<Double>.allocate(capacity: count * width)
        let variance = UnsafeMutablePointer<Double>.allocate(capacity: count)
        let columns = UnsafeMutablePointer<Double>.allocate(capacity: count * width)
        defer { rows.deallocate(); variance.deallocate(); columns.deallocate() }
        for i in 0..<count { variance[i] = quality[i] * quality[i] }
        var isPlaced = [Bool](repeating: false, count: count)
        var placed: [Int] = []
        var basis: [Int] = []   // the conditioning items, oldest first
        var slots: [Int] = []   // basis[m]'s column at columns + slots[m]·count

        /// Conditions the unplaced candidates and `members` on the basis's next member `j`, whose
        /// kernel column is in `slot`.
        func extend(_ j: Int, slot: Int, members: ArraySlice<Int> = []) {
            let t = basis.count, deviation = variance[j].squareRoot(), own = rows + j * width, column = columns + slot * count
            func update(_ i: Int) {
                let row = rows + i * width
                let e = (column[i] - Self.dot(own, row, t)) / deviation
                row[t] = e
                variance[i] -= e * e
            }
            for i in 0..<count where !isPlaced[i] { update(i) }
            for i in members { update(i) }
            basis.append(j)
            slots.append(slot)
        }

        while placed.count < k {
            var best = -1, bestVariance = -Double.infinity
            for i in 0..<count where !isPlaced[i] && variance[i] > bestVariance { (best, bestVariance) = (i, variance[i]) }
            guard bestVariance > Self.epsilon * quality[best] * quality[best] else { break }
            placed.append(best)
            isPlaced[best] = true
            guard placed.count < k else { break }
            // A full window slides: its oldest member leaves and `best` takes its column's slot.
            let slot = basis.count < width ? basis.count : slots[0]
            let column = columns + slot * count
            for i in 0..<count where !isPlaced[i] { column[i] = quality[best] * similarityWeight * similarity(best, i) * quality[i] }
            if basis.count < width {
                extend(best, slot: slot)
            } else {
                // The rows are recomputed against the members that stay and `best`.
                let members = Array(basis.dropFirst()) + [best], memberSlots = Array(slots.dropFirst()) + [slot]
                (basis, slots) = ([], [])
                for i in 0..<count where !isPlaced[i] { variance[i] = quality[i] * quality[i] }
                for member in members { variance[member] = quality[member] * quality[member] }
                for m in members.indices { extend(members[m], slot: memberSlots[m], members: members[(m + 1)...]) }
            }
        }
        // Whatever the determinant cannot tell apart follows relevance.
        if placed.count < k {
            let rest = (0..<count).filter { !isPlaced[$0] }.sorted { (relevance[$0], $1) > (relevance[$1], $0) }
            placed += rest.prefix(k - placed.count)
        }
        return placed
    }

    /// Σ a[s]·b[s] over the first `count`.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sum = SIMD4<Double>(), s = 0
        while s + 4 <= count {
            sum += UnsafeRawPointer(a + s).loadUnaligned(as: SIMD4<Double>.self) * UnsafeRawPointer(b + s).loadUnaligned(as: SIMD4<Double>.self)
            s += 4
        }
        var total = sum.sum()
        while s < count { total += a[s] * b[s]; s += 1 }
        return total
    }
}
