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

/// Keeps the `k` best (score, index) pairs seen, in a min-heap; ties prefer the smaller index.
struct TopK {
    let k: Int
    private(set) var scores: [Float] = []
    private(set) var indices: [Int32] = []

    init(_ k: Int) {
        self.k = k
        scores.reserveCapacity(k)
        indices.reserveCapacity(k)
    }

    /// Whether (a, i) ranks below (b, j).
    @inline(__always) static func worse(_ a: Float, _ i: Int32, _ b: Float, _ j: Int32) -> Bool {
        a < b || (a == b && i > j)
    }

    mutating func offer(_ score: Float, _ index: Int32) {
        if scores.count < k {
            scores.append(score)
            indices.append(index)
            var c = scores.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Self.worse(scores[c], indices[c], scores[p], indices[p]) else { break }
                scores.swapAt(c, p)
                indices.swapAt(c, p)
                c = p
            }
        } else if k > 0, Self.worse(scores[0], indices[0], score, index) {
            scores[0] = score
            indices[0] = index
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < k, Self.worse(scores[l], indices[l], scores[m], indices[m]) { m = l }
                if r < k, Self.worse(scores[r], indices[r], scores[m], indices[m]) { m = r }
                if m == p { break }
                scores.swapAt(p, m)
                indices.swapAt(p, m)
                p = m
            }
        }
    }

    /// The kept pairs, best first.
    func sorted() -> (neighbours: [Int32], scores: [Float]) {
        let order = scores.indices.sorted { Self.worse(scores[$1], indices[$1], scores[$0], indices[$0]) }
        return (order.map { indices[$0] }, order.map { scores[$0] })
    }
}
