import CPrefetch
import FunnelTensor

/// Brute-force search: every vector scored against the query. One query scans the rows with the
/// SIMD kernels; several queries at once (a multi-interest user, a batch of users) become one
/// matrix product per block of rows through BLAS.
public enum ExactSearch {
    /// The `k` best rows for one prepared query (see `VectorMetric.prepare`) among the rows set in
    /// `allowed` (every row when nil) that `accept` allows. A bitset is walked word by word, so a
    /// narrow filter costs a pass over its words plus one score per allowed row. With `threads`
    /// above one, an index of 65,536 rows or more is split among them in runs of whole words.
    public static func scan(_ vectors: VectorStorage, query: UnsafePointer<Float>, metric: VectorMetric, k: Int,
                            allowed: Bitset? = nil, accept: ((Int32) -> Bool)? = nil, threads: Int = 1) -> [VectorHit] {
        scan(QueryScorer(query, rows: vectors, metric: metric), count: vectors.count, k: k, allowed: allowed, accept: accept, threads: threads)
    }

    /// The same over the first `count` rows of any stored form.
    static func scan(_ scorer: QueryScorer, count: Int, k: Int, allowed: Bitset?, accept: ((Int32) -> Bool)?, threads: Int) -> [VectorHit] {
        let words = (count + 63) / 64
        let chunks = threads > 1 && count >= 1 << 16 ? threads : 1
        let perChunk = (words + chunks - 1) / chunks
        var partial = [BestHits](repeating: BestHits(k: k), count: chunks)
        partial.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Compute.parallel(chunks, chunks: chunks) { _, range in
                for c in range {
                    let words = (c * perChunk)..<min(words, (c + 1) * perChunk)
                    out[c] = if let rows = scorer.codeRows {
                        scan(rows, rowBytes: scorer.rowBytes, count: count, k: k, words: words, allowed: allowed, accept: accept)
                    } else {
                        scan(scorer.floatRows!, rowBytes: scorer.rowBytes, count: count, k: k, words: words, allowed: allowed, accept: accept)
                    }
                }
            }
        }
        var best = partial[0]
        for other in partial.dropFirst() { for hit in other.sorted() { best.offer(hit) } }
        return best.sorted()
    }

    /// The rows of `words` (64 rows per bitset word) scanned on the calling thread.
    private static func scan<Rows: RowScorer>(_ scorer: Rows, rowBytes: Int, count: Int, k: Int, words: Range<Int>,
                                              allowed: Bitset?, accept: ((Int32) -> Bool)?) -> BestHits {
        var best = BestHits(k: k)
        @inline(__always) func consider(_ i: Int) {
            if let accept, !accept(Int32(i)) { return }
            let score = scorer.score(i)
            if score >= best.threshold { best.offer(VectorHit(id: Int32(i), score: score)) }
        }
        if let allowed {
            // Rows far apart defeat the hardware prefetcher: each row is prefetched one row ahead.
            var pending = -1
            allowed.words.withUnsafeBufferPointer { bitWords in
                for w in words.clamped(to: 0..<bitWords.count) {
                    var bits = bitWords[w]
                    while bits != 0 {
                        let i = w * 64 + bits.trailingZeroBitCount
                        bits &= bits - 1
                        guard i < count else { break }
                        funnel_prefetch_range(scorer.row(i), rowBytes)
                        if pending >= 0 { consider(pending) }
                        pending = i
                    }
                }
            }
            if pending >= 0 { consider(pending) }
        } else {
            for i in (words.lowerBound * 64)..<min(count, words.upperBound * 64) { consider(i) }
        }
        return best
    }

    /// The `k` best rows for each of `queryCount` prepared queries laid out row after row, by
    /// blocks of rows: scores = Q · Xᵀ through BLAS (for L2, 2 q·x − ‖x‖² − ‖q‖²).
    public static func batch(_ vectors: VectorStorage, queries: UnsafePointer<Float>, queryCount: Int, metric: VectorMetric, k: Int,
                             accept: ((Int32) -> Bool)? = nil, blockRows: Int = 8192) -> [[VectorHit]] {
        let d = vectors.dimension
        var best = [BestHits](repeating: BestHits(k: k), count: queryCount)
        let queryNorms = (0..<queryCount).map { VectorKernels.dot(queries + $0 * d, queries + $0 * d, d) }
        let norms = vectors.squaredNorms   // read once: a class property pays an access check per read
        let block = UnsafeMutablePointer<Float>.allocate(capacity: queryCount * blockRows)
        defer { block.deallocate() }
        var start = 0
        while start < vectors.count {
            let rows = min(blockRows, vectors.count - start)
            BLAS.gemm(transposeA: false, transposeB: true, m: queryCount, n: rows, k: d,
                      alpha: metric == .l2 ? 2 : 1, a: queries, b: vectors[start], c: block)
            for q in 0..<queryCount {
                let scores = block + q * rows
                for r in 0..<rows {
                    let i = start + r
                    var score = scores[r]
                    if metric == .l2 { score -= norms[i] + queryNorms[q] }
                    guard score >= best[q].threshold else { continue }
                    if let accept, !accept(Int32(i)) { continue }
                    best[q].offer(VectorHit(id: Int32(i), score: score))
                }
            }
            start += rows
        }
        return best.map { $0.sorted() }
    }
}

extension VectorMetric {
    /// The query as the kernels take it: unit length for cosine, as given otherwise.
    public func prepare(_ query: [Float]) -> [Float] {
        guard self == .cosine else { return query }
        var q = query
        q.withUnsafeMutableBufferPointer { VectorKernels.normalize($0.baseAddress!, $0.count) }
        return q
    }
}
