import FunnelTensor

/// Each row's top-K neighbours, best first, in compressed sparse rows: item → similar items,
/// or user → similar users.
public struct NeighbourLists: Sendable, Equatable {
    public let offsets: [Int]
    public let neighbours: [Int32]
    public let scores: [Float]

    public init(offsets: [Int], neighbours: [Int32], scores: [Float]) {
        self.offsets = offsets
        self.neighbours = neighbours
        self.scores = scores
    }

    public var rowCount: Int { offsets.count - 1 }

    public func row(_ r: Int) -> (neighbours: ArraySlice<Int32>, scores: ArraySlice<Float>) {
        let range = offsets[r]..<offsets[r + 1]
        return (neighbours[range], scores[range])
    }

    /// Computes every row's top `k` in parallel. For row r, `accumulate` adds into a zeroed dense
    /// scratch row (one per thread) and lists each column it first touches; `score` turns a
    /// column's sum into its similarity (nil drops it). Popular rows cost more and cluster at low
    /// ids, so threads take many small chunks in turn.
    static func build(rows: Int, columns: Int, k: Int,
                      accumulate: (_ row: Int, _ scratch: inout [Float], _ touched: inout [Int32]) -> Void,
                      score: (_ row: Int, _ column: Int32, _ sum: Float) -> Float?) -> NeighbourLists {
        let chunks = Compute.threads == 1 ? 1 : min(Compute.threads * 16, max(1, rows / 64))
        var parts = [[(neighbours: [Int32], scores: [Float])]](repeating: [], count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Compute.parallel(rows, chunks: chunks) { chunk, range in
                var scratch = [Float](repeating: 0, count: columns)
                var touched: [Int32] = []
                var top = TopK()
                out[chunk] = range.map { r in
                    accumulate(r, &scratch, &touched)
                    for c in touched {
                        if let s = score(r, c, scratch[Int(c)]) { top.add(s, c) }
                        scratch[Int(c)] = 0
                    }
                    touched.removeAll(keepingCapacity: true)
                    defer { top.removeAll() }
                    return top.best(k)
                }
            }
        }
        return concatenate(parts)
    }

    /// Rows computed independently (e.g. one shard per thread), concatenated in order.
    static func concatenate(_ parts: [[(neighbours: [Int32], scores: [Float])]]) -> NeighbourLists {
        var offsets = [0], neighbours: [Int32] = [], scores: [Float] = []
        for part in parts {
            for row in part {
                neighbours += row.neighbours
                scores += row.scores
                offsets.append(neighbours.count)
            }
        }
        return NeighbourLists(offsets: offsets, neighbours: neighbours, scores: scores)
    }
}

/// The `k` best (score, index) pairs of a row, ties to the smaller index. Each pair becomes one
/// integer key that orders like the pair (score bits made order-preserving in the high half, the
/// index inverted in the low half), so selection is a quickselect over integers followed by a
/// sort of only the `k` kept: linear in the row, where a heap paid a log factor per offer.
struct TopK {
    private(set) var keys: [UInt64] = []

    mutating func add(_ score: Float, _ index: Int32) {
        let bits = score.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        keys.append(UInt64(ordered) << 32 | UInt64(UInt32.max - UInt32(bitPattern: index)))
    }

    mutating func removeAll() { keys.removeAll(keepingCapacity: true) }

    var count: Int { keys.count }

    /// Keeps only the best `k`, in no order: a selection, without the sort of `best`.
    mutating func keep(_ k: Int) {
        guard keys.count > k else { return }
        if k > 0 { Self.select(&keys, k) }
        keys.removeLast(keys.count - k)
    }

    /// The best `k`, best first.
    func best(_ k: Int) -> (neighbours: [Int32], scores: [Float]) {
        var keys = keys
        if keys.count > k, k > 0 { Self.select(&keys, k) }
        var top = Array(keys.prefix(k))
        top.sort(by: >)
        return (top.map { Int32(bitPattern: UInt32.max - UInt32(truncatingIfNeeded: $0)) },
                top.map { key in
                    let ordered = UInt32(key >> 32)
                    return Float(bitPattern: ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered)
                })
    }

    /// Rearranges `keys` so that its first `k` are the `k` largest (in any order): quickselect
    /// with a median-of-three pivot.
    static func select(_ keys: inout [UInt64], _ k: Int) {
        keys.withUnsafeMutableBufferPointer { a in
            var low = 0, high = a.count - 1
            while low < high {
                let mid = low + (high - low) / 2
                let pivot = max(min(a[low], a[mid]), min(max(a[low], a[mid]), a[high]))
                var i = low, j = high
                while i <= j {
                    while a[i] > pivot { i += 1 }
                    while a[j] < pivot { j -= 1 }
                    if i <= j {
                        a.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                // Now a[low...j] ≥ pivot ≥ a[i...high]; keep the side holding position k − 1.
                if k - 1 <= j { high = j } else if k - 1 >= i { low = i } else { return }
            }
        }
    }
}
