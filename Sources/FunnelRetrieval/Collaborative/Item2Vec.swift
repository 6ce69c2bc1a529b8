import Foundation
import FunnelData
import FunnelIndex
import FunnelTensor

/// item2vec (Barkan & Koenigsberg, 2016): word2vec's skip-gram with negative sampling (Mikolov
/// et al., 2013) over users' item sequences, so that items taken near each other by the same
/// users get close vectors. Each item at a position predicts the items within a window drawn
/// from 1…`window` around it against `negatives` items drawn by frequency^0.75; frequent items
/// are discarded with probability 1 − √(t/f) (f their share of all positions) before windows
/// are formed. The learning rate falls linearly to nearly 0 over training. Threads share the
/// vectors without locks, as word2vec does.
public struct Item2Vec: Sendable {
    public struct Parameters: Sendable, Equatable, Codable {
        public var dimension = 64
        public var window = 50
        public var negatives = 5
        public var epochs = 30
        public var learningRate: Float = 0.025
        /// The subsampling threshold t.
        public var subsampling = 1e-3
        /// Items taken fewer times are left out of training and of every neighbour list: their
        /// vectors would be noise.
        public var minimumCount = 3
        public var seed: UInt64 = 42

        public init() {}
    }

    public let parameters: Parameters
    public let itemCount: Int
    /// Scalars per row: the dimension rounded up to the SIMD width (the padding stays zero).
    public let stride: Int
    /// The item vectors (word2vec's input vectors), `stride` per row; items never seen keep
    /// their small random start.
    public private(set) var vectors: [Float]
    /// The context vectors (output vectors), `stride` per row.
    public private(set) var contexts: [Float]
    /// Whether each item was taken at least `minimumCount` times, and so trained.
    public private(set) var trained: [Bool]

    typealias Lanes = PaddedRows.Lanes

    /// Trains on `sequences` of item indices below `itemCount`, each in the order it was taken.
    public init(sequences: [[Int32]], itemCount: Int, parameters: Parameters = Parameters()) {
        precondition(parameters.dimension >= 1 && parameters.window >= 1 && parameters.negatives >= 1 && parameters.epochs >= 0
                     && parameters.learningRate > 0 && parameters.subsampling > 0,
                     "Item2Vec: dimension, window, negatives ≥ 1, epochs ≥ 0, a positive learning rate and subsampling threshold expected")
        self.parameters = parameters
        self.itemCount = itemCount
        let stride = PaddedRows.stride(parameters.dimension)
        self.stride = stride
        var random = SplitMix64(seed: parameters.seed)
        vectors = PaddedRows.randomStart(rows: itemCount, dimension: parameters.dimension, random: &random)
        contexts = [Float](repeating: 0, count: itemCount * stride)
        var counts = [Double](repeating: 0, count: itemCount)
        for sequence in sequences { for item in sequence { counts[Int(item)] += 1 } }
        trained = counts.map { $0 >= Double(parameters.minimumCount) }
        for i in 0..<itemCount where !trained[i] { counts[i] = 0 }
        let total = counts.reduce(0, +)
        guard total > 0, itemCount > 1 else { return }
        let keep = counts.map { $0 == 0 ? 0 : Float(min(1, (parameters.subsampling * total / $0).squareRoot())) }
        // Cumulative f^0.75, for negatives drawn by binary search.
        let cumulative = SplitMix64.cumulative(counts, power: 0.75)
        let positions = Double(parameters.epochs) * total
        var done = 0.0
        for _ in 0..<parameters.epochs {
            train(sequences, keep: keep, cumulative: cumulative, seed: random.next(), progress: (done, positions))
            done += total
        }
    }

    /// One epoch over every sequence, split among the threads; the rate falls from its share
    /// of `progress` (positions done before, positions in all).
    private mutating func train(_ sequences: [[Int32]], keep: [Float], cumulative: [Double], seed: UInt64, progress: (done: Double, total: Double)) {
        let (stride, window, negatives, rate0) = (stride, parameters.window, parameters.negatives, parameters.learningRate)
        let chunks = Compute.chunkCount(sequences.count, minimumChunk: 64)
        vectors.withUnsafeMutableBufferPointer { v in
            contexts.withUnsafeMutableBufferPointer { c in
                let (v, c) = (v.baseAddress!, c.baseAddress!)
                Compute.parallel(sequences.count, chunks: chunks) { chunk, range in
                    var random = SplitMix64(seed: seed &+ UInt64(chunk) &* 0x9E37_79B9_7F4A_7C15)
                    let error = UnsafeMutablePointer<Float>.allocate(capacity: stride)
                    defer { error.deallocate() }
                    // As word2vec's shared count of positions, if every chunk advances alike.
                    var local = 0.0
                    for s in range {
                        let kept = sequences[s].filter { Float(random.nextUnitDouble()) < keep[Int($0)] }
                        for (p, center) in kept.enumerated() {
                            let fraction = (progress.done + local * Double(chunks)) / progress.total
                            let rate = rate0 * max(1e-4, Float(1 - fraction))
                            let reach = 1 + Int(random.next() % UInt64(window))
                            for q in max(0, p - reach)...min(kept.count - 1, p + reach) where q != p {
                                Self.ascentStep(v + Int(kept[q]) * stride, positive: c + Int(center) * stride, negatives: negatives,
                                          draw: { Int32(random.pick(cumulative: cumulative)) }, center: center, contexts: c, stride: stride,
                                          rate: rate, error: error)
                            }
                        }
                        local += Double(sequences[s].count)
                    }
                }
            }
        }
    }

    /// One skip-gram ascent step on ln σ(x·u₊) + Σ ln σ(−x·u₋) for input vector x (`input`),
    /// its true context row u₊ (`positive`, of item `center`) and `negatives` rows drawn by
    /// `draw` (a draw of `center` itself is skipped): each row moves by rate·(label − σ(x·u))·x,
    /// and x by the sum of rate·(label − σ)·u over the rows as they were. Vectors hold `stride`
    /// scalars, a multiple of 16.
    @inline(__always)
    public static func ascentStep(_ input: UnsafeMutablePointer<Float>, positive: UnsafeMutablePointer<Float>, negatives: Int,
                     draw: () -> Int32, center: Int32, contexts: UnsafeMutablePointer<Float>, stride: Int, rate: Float,
                     error: UnsafeMutablePointer<Float>) {
        error.update(repeating: 0, count: stride)
        for k in 0...negatives {
            let target: UnsafeMutablePointer<Float>
            let label: Float
            if k == 0 {
                (target, label) = (positive, 1)
            } else {
                let item = draw()
                if item == center { continue }
                (target, label) = (contexts + Int(item) * stride, 0)
            }
            var sum = Lanes(repeating: 0)
            var d = 0
            while d < stride { sum += PaddedRows.load(input + d) * PaddedRows.load(target + d); d += Lanes.scalarCount }
            let g = rate * (label - 1 / (1 + Foundation.exp(-sum.sum())))
            d = 0
            while d < stride {
                let u = PaddedRows.load(target + d)
                PaddedRows.store(PaddedRows.load(error + d) + g * u, error + d)
                PaddedRows.store(u + g * PaddedRows.load(input + d), target + d)
                d += Lanes.scalarCount
            }
        }
        var d = 0
        while d < stride { PaddedRows.store(PaddedRows.load(input + d) + PaddedRows.load(error + d), input + d); d += Lanes.scalarCount }
    }

    /// Each trained item's `k` most similar trained items by the cosine of their vectors (itself
    /// left out; an untrained item has none), by exact search in blocks through BLAS.
    public func neighbours(k: Int) -> NeighbourLists {
        let storage = VectorStorage(dimension: stride, capacity: max(1, itemCount))
        var unit = vectors
        unit.withUnsafeMutableBufferPointer { u in
            for i in 0..<itemCount {
                VectorKernels.normalize(u.baseAddress! + i * stride, stride)
                _ = storage.append(UnsafeBufferPointer(start: u.baseAddress! + i * stride, count: stride))
            }
        }
        var offsets = [0], neighbours: [Int32] = [], scores: [Float] = []
        let block = 1024, trained = trained
        unit.withUnsafeBufferPointer { u in
            var start = 0
            while start < itemCount {
                let count = min(block, itemCount - start)
                let hits = ExactSearch.batch(storage, queries: u.baseAddress! + start * stride, queryCount: count, metric: .innerProduct,
                                             k: k + 1, accept: { trained[Int($0)] })
                for (q, row) in hits.enumerated() {
                    for hit in row where trained[start + q] && Int(hit.id) != start + q && neighbours.count - offsets.last! < k {
                        neighbours.append(hit.id)
                        scores.append(hit.score)
                    }
                    offsets.append(neighbours.count)
                }
                start += count
            }
        }
        return NeighbourLists(offsets: offsets, neighbours: neighbours, scores: scores)
    }
}
