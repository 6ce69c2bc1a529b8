/// One search result: the vector's index and its score (higher is nearer; see `VectorMetric`).
public struct VectorHit: Sendable, Equatable {
    public var id: Int32
    public var score: Float

    public init(id: Int32, score: Float) {
        self.id = id
        self.score = score
    }
}

/// The `k` highest-scoring hits seen so far, ties to the smaller id: a min-heap whose root is
/// the weakest kept hit, so most offers cost one comparison once the heap is full.
public struct BestHits {
    public let k: Int
    private(set) var heap: [VectorHit] = []

    public init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// Whether `a` ranks below `b`.
    @inlinable
    static func weaker(_ a: VectorHit, _ b: VectorHit) -> Bool {
        a.score < b.score || (a.score == b.score && a.id > b.id)
    }

    /// The score a hit must beat to enter (−∞ until `k` hits are kept).
    public var threshold: Float { heap.count < k ? -.infinity : heap[0].score }

    public var isFull: Bool { heap.count >= k }

    public mutating func offer(_ hit: VectorHit) {
        if heap.count < k {
            heap.append(hit)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.weaker(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        } else if k > 0, Self.weaker(heap[0], hit) {
            heap[0] = hit
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var weakest = parent
                if left < heap.count, Self.weaker(heap[left], heap[weakest]) { weakest = left }
                if right < heap.count, Self.weaker(heap[right], heap[weakest]) { weakest = right }
                if weakest == parent { break }
                heap.swapAt(parent, weakest)
                parent = weakest
            }
        }
    }

    /// The kept hits, best first.
    public func sorted() -> [VectorHit] {
        heap.sorted { Self.weaker($1, $0) }
    }
}
