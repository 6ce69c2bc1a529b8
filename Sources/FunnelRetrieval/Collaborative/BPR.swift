import Foundation
import FunnelData
import FunnelIndex
import FunnelTensor

/// Bayesian personalised ranking (Rendle et al., UAI 2009): user vectors x_u, item vectors y_i
/// and item biases b_i trained so that an item the user took outranks one they did not,
/// maximising Σ ln σ(x̂_uij) − λ‖Θ‖² with x̂_uij = x_u·(y_i − y_j) + b_i − b_j over triples
/// (u, i taken, j not), by stochastic gradient ascent.
///
/// Each epoch draws as many triples as the matrix has pairs: a pair (u, i) uniformly, so
/// active users weigh more, as in the paper's bootstrap sampling, and a negative j (see
/// `Parameters.negatives`); a triple whose negative the user took is skipped. Threads
/// share the vectors without locks (Hogwild, Niu et al. 2011): two threads rarely touch one
/// row at once, and a lost update only perturbs the descent. Vectors are padded to a multiple
/// of the SIMD width with zeros that every update keeps at zero.
public struct BPR: Sendable {
    public struct Parameters: Sendable, Equatable, Codable {
        public var factors = 64
        public var learningRate: Float = 0.05
        public var regularization: Float = 0.01
        public var epochs = 100
        /// How negatives are drawn: uniformly from the catalogue, or in proportion to how often
        /// each item was taken (the item of a random pair), which pushes popular items down harder.
        public var negatives = NegativeSampling.uniform
        public var seed: UInt64 = 42

        public enum NegativeSampling: String, Sendable, Codable, CaseIterable { case uniform, popularity }

        public init() {}
    }

    public let parameters: Parameters
    public let userCount: Int
    public let itemCount: Int
    /// Scalars per row of `userFactors` and `itemFactors`: `factors` rounded up to the SIMD width.
    public let stride: Int
    /// Row-major, `stride` per row (the padding is zero).
    public private(set) var userFactors: [Float]
    public private(set) var itemFactors: [Float]
    public private(set) var itemBiases: [Float]

    typealias Lanes = PaddedRows.Lanes

    /// Trains on the pairs of `matrix` (their weights are not read: every pair is a positive).
    /// `progress(epoch, accuracy)` after each epoch when given: the share of that epoch's
    /// updated triples whose positive already outscored the negative before the update.
    public init(_ matrix: InteractionMatrix, parameters: Parameters = Parameters(), progress: ((Int, Double) -> Void)? = nil) {
        precondition(parameters.factors >= 1 && parameters.epochs >= 0 && parameters.learningRate > 0 && parameters.regularization >= 0,
                     "BPR: factors ≥ 1, epochs ≥ 0, a positive learning rate and a regularization ≥ 0 expected")
        self.parameters = parameters
        (userCount, itemCount) = (matrix.userCount, matrix.itemCount)
        stride = PaddedRows.stride(parameters.factors)
        var random = SplitMix64(seed: parameters.seed)
        userFactors = PaddedRows.randomStart(rows: matrix.userCount, dimension: parameters.factors, random: &random)
        itemFactors = PaddedRows.randomStart(rows: matrix.itemCount, dimension: parameters.factors, random: &random)
        itemBiases = [Float](repeating: 0, count: matrix.itemCount)
        let pairs = matrix.userItems.count
        guard pairs > 0, itemCount > 1 else { return }
        // The user of each pair, so a pair index draws (u, i) at once.
        var pairUser = [Int32](repeating: 0, count: pairs)
        for u in 0..<userCount { for k in matrix.userOffsets[u]..<matrix.userOffsets[u + 1] { pairUser[k] = Int32(u) } }
        for epoch in 0..<parameters.epochs {
            let seed = random.next()
            let (right, updated) = epochOfUpdates(matrix, pairUser: pairUser, seed: seed)
            progress?(epoch, Double(right) / Double(max(1, updated)))
        }
    }

    /// One epoch: `pairs` triples split among the threads, each drawing its own. Returns how
    /// many were already ordered right, and how many were updated.
    private mutating func epochOfUpdates(_ matrix: InteractionMatrix, pairUser: [Int32], seed: UInt64) -> (right: Int, updated: Int) {
        let pairs = pairUser.count, stride = stride, itemCount = itemCount
        let (rate, lambda) = (parameters.learningRate, parameters.regularization)
        let byPopularity = parameters.negatives == .popularity
        let chunks = Compute.chunkCount(pairs, minimumChunk: 4096)
        var countsPerChunk = [Int](repeating: 0, count: 2 * chunks)
        userFactors.withUnsafeMutableBufferPointer { users in
            itemFactors.withUnsafeMutableBufferPointer { items in
                itemBiases.withUnsafeMutableBufferPointer { biases in
                    countsPerChunk.withUnsafeMutableBufferPointer { counts in
                        let (x, y, b, counts) = (users.baseAddress!, items.baseAddress!, biases.baseAddress!, counts.baseAddress!)
                        matrix.userOffsets.withUnsafeBufferPointer { offsets in
                            matrix.userItems.withUnsafeBufferPointer { taken in
                                pairUser.withUnsafeBufferPointer { pairUser in
                                    Compute.parallel(pairs, chunks: chunks) { chunk, range in
                                        var random = SplitMix64(seed: seed &+ UInt64(chunk) &* 0x9E37_79B9_7F4A_7C15)
                                        var right = 0, updated = 0
                                        for _ in range {
                                            let k = Int(random.next() % UInt64(pairs))
                                            let u = Int(pairUser[k]), i = Int(taken[k])
                                            let history = UnsafeBufferPointer(rebasing: taken[offsets[u]..<offsets[u + 1]])
                                            func draw() -> Int {
                                                byPopularity ? Int(taken[Int(random.next() % UInt64(pairs))]) : Int(random.next() % UInt64(itemCount))
                                            }
                                            // A negative the user took skips the triple.
                                            let j = draw()
                                            if history.sortedContains(Int32(j)) { continue }
                                            updated += 1
                                            if Self.ascentStep(x + u * stride, y + i * stride, y + j * stride, &b[i], &b[j],
                                                               stride: stride, rate: rate, lambda: lambda) { right += 1 }
                                        }
                                        (counts[2 * chunk], counts[2 * chunk + 1]) = (right, updated)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Swift.stride(from: 0, to: countsPerChunk.count, by: 2).reduce(0) { $0 + countsPerChunk[$1] },
                Swift.stride(from: 1, to: countsPerChunk.count, by: 2).reduce(0) { $0 + countsPerChunk[$1] })
    }

    /// One ascent step of size `rate` on ln σ(x̂_uij) − λ(‖x_u‖² + ‖y_i‖² + ‖y_j‖² + b_i² + b_j²)/2
    /// for vectors of `stride` scalars (a multiple of 16); returns whether x̂_uij was positive
    /// before it.
    @inline(__always)
    public static func ascentStep(_ x: UnsafeMutablePointer<Float>, _ yi: UnsafeMutablePointer<Float>, _ yj: UnsafeMutablePointer<Float>,
                       _ bi: inout Float, _ bj: inout Float, stride: Int, rate: Float, lambda: Float) -> Bool {
        var sum = Lanes(repeating: 0)
        var d = 0
        while d < stride {
            sum += PaddedRows.load(x + d) * (PaddedRows.load(yi + d) - PaddedRows.load(yj + d))
            d += Lanes.scalarCount
        }
        let score = sum.sum() + bi - bj
        // d/dθ ln σ(x̂) = σ(−x̂) · dx̂/dθ.
        let g = 1 / (1 + Foundation.exp(score))
        let keep = 1 - rate * lambda
        d = 0
        while d < stride {
            let xu = PaddedRows.load(x + d), a = PaddedRows.load(yi + d), c = PaddedRows.load(yj + d)
            PaddedRows.store(keep * xu + (rate * g) * (a - c), x + d)
            PaddedRows.store(keep * a + (rate * g) * xu, yi + d)
            PaddedRows.store(keep * c - (rate * g) * xu, yj + d)
            d += Lanes.scalarCount
        }
        bi = keep * bi + rate * g
        bj = keep * bj - rate * g
        return score > 0
    }

    /// `user`'s score for every item: x_u · y_i + b_i.
    public func scores(user: Int) -> [Float] {
        var scores = itemBiases
        userFactors.withUnsafeBufferPointer { x in
            itemFactors.withUnsafeBufferPointer { y in
                scores.withUnsafeMutableBufferPointer { s in
                    BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: itemCount, k: stride, a: x.baseAddress! + user * stride,
                              b: y.baseAddress!, beta: 1, c: s.baseAddress!)
                }
            }
        }
        return scores
    }

    /// The mean of ln σ(x̂_uij) over every (u, i taken, j not taken): for tests and small data.
    public func objective(_ matrix: InteractionMatrix) -> Double {
        var total = 0.0, count = 0
        for u in 0..<userCount {
            let taken = Set(matrix.items(of: u).items)
            let s = scores(user: u)
            for i in taken {
                for j in 0..<itemCount where !taken.contains(Int32(j)) {
                    total += -log1p(exp(-Double(s[Int(i)] - s[j])))
                    count += 1
                }
            }
        }
        return count == 0 ? 0 : total / Double(count)
    }
}
