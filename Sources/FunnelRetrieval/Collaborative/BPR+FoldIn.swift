import Foundation
import FunnelData

/// BPR served as a channel: each item indexed as [y_i, b_i] against a query [x_u, 1], so the
/// inner product is the fit's score x_u · y_i + b_i.
extension BPR: FoldInFactorization {
    public static let channelName = "bpr"
    /// Ascent steps from zero. More steps do not bring the vector closer to the fit's own
    /// (`BPRTests`), and each step reads a random item's vector, most often from memory.
    public static let defaultFoldInSteps = 500

    public var indexedDimension: Int { parameters.factors + 1 }

    public func indexedVector(ofItem row: Int) -> [Float] {
        Array(itemFactors[(row * stride)..<(row * stride + parameters.factors)]) + [itemBiases[row]]
    }

    /// The user's vector by the fit's own ascent on x alone, with every item's vector and bias
    /// fixed: `steps` steps from zero at the fit's rate and regularisation, each with a positive
    /// drawn by weight among `items` and a negative drawn uniformly among the rest. The draws are
    /// seeded by the items, so the same actions give the same vector.
    public func foldIn(_ items: [(row: Int32, weight: Float)], steps: Int) -> [Float]? {
        let (rows, weights) = Self.summedWeights(items, itemCount: itemCount)
        guard !rows.isEmpty else { return nil }
        var x = [Float](repeating: 0, count: stride)
        if rows.count < itemCount {
            var cumulative: [Float] = []
            for weight in weights { cumulative.append((cumulative.last ?? 0) + weight) }
            let taken = Set(rows)
            var random = SplitMix64(seed: rows.reduce(parameters.seed) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
            let (rate, keep) = (parameters.learningRate, 1 - parameters.learningRate * parameters.regularization)
            x.withUnsafeMutableBufferPointer { x in
                itemFactors.withUnsafeBufferPointer { y in
                    for _ in 0..<steps {
                        let drawn = Float(random.nextUnitDouble()) * cumulative.last!
                        var (low, high) = (0, rows.count - 1)
                        while low < high {
                            let middle = (low + high) / 2
                            if cumulative[middle] > drawn { high = middle } else { low = middle + 1 }
                        }
                        let i = Int(rows[low])
                        var j: Int
                        repeat { j = Int(random.next() % UInt64(itemCount)) } while taken.contains(Int32(j))
                        let yi = y.baseAddress! + i * stride, yj = y.baseAddress! + j * stride
                        var sum = Lanes(repeating: 0)
                        for d in Swift.stride(from: 0, to: stride, by: Lanes.scalarCount) {
                            sum += PaddedRows.load(x.baseAddress! + d) * (PaddedRows.load(yi + d) - PaddedRows.load(yj + d))
                        }
                        let g = rate / (1 + Foundation.exp(sum.sum() + itemBiases[i] - itemBiases[j]))
                        for d in Swift.stride(from: 0, to: stride, by: Lanes.scalarCount) {
                            let step = keep * PaddedRows.load(x.baseAddress! + d) + g * (PaddedRows.load(yi + d) - PaddedRows.load(yj + d))
                            PaddedRows.store(step, x.baseAddress! + d)
                        }
                    }
                }
            }
        }
        return Array(x.prefix(parameters.factors)) + [1]
    }
}
