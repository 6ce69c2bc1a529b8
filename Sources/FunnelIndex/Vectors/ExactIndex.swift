/// Exact nearest-neighbour search over vectors added one by one: the reference every approximate
/// index is measured against, and the right index for small or heavily filtered sets.
public final class ExactIndex: @unchecked Sendable {
    public let metric: VectorMetric
    public let vectors: VectorStorage
    public private(set) var deleted: Bitset

    public init(dimension: Int, metric: VectorMetric, capacity: Int = 1024) {
        self.metric = metric
        vectors = VectorStorage(dimension: dimension, capacity: capacity)
        deleted = Bitset(count: 0)
    }

    public var count: Int { vectors.count }

    /// Adds a vector (normalised for cosine) and returns its id, the next integer.
    @discardableResult
    public func add(_ vector: [Float]) -> Int32 {
        let id = metric.prepare(vector).withUnsafeBufferPointer { vectors.append($0) }
        deleted.grow(to: vectors.count)
        return Int32(id)
    }

    /// Excludes a vector from every later search.
    public func delete(_ id: Int32) {
        deleted[Int(id)] = true
    }

    /// The `k` best vectors for `query` that the filter allows, scanned on `threads` threads.
    public func search(_ query: [Float], k: Int, filter: VectorFilter? = nil, threads: Int = 1) -> [VectorHit] {
        guard query.count == vectors.dimension else { fatalError("a query of \(query.count) values for dimension \(vectors.dimension)") }
        return metric.prepare(query).withUnsafeBufferPointer { q in
            ExactSearch.scan(vectors, query: q.baseAddress!, metric: metric, k: k, allowed: filter?.bitset,
                             accept: VectorFilter.acceptance(excluding: deleted, filter?.bitset == nil ? filter : nil), threads: threads)
        }
    }

    /// Several queries at once, through BLAS.
    public func search(queries: [[Float]], k: Int, filter: VectorFilter? = nil) -> [[VectorHit]] {
        let d = vectors.dimension
        guard queries.allSatisfy({ $0.count == d }) else { fatalError("every query must have \(d) values") }
        let flat = queries.flatMap(metric.prepare)
        return flat.withUnsafeBufferPointer { q in
            ExactSearch.batch(vectors, queries: q.baseAddress!, queryCount: queries.count, metric: metric, k: k, accept: VectorFilter.acceptance(excluding: deleted, filter))
        }
    }
}
