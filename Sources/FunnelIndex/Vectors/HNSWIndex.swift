import CPrefetch
import Foundation
import FunnelTensor

/// Approximate nearest-neighbour search on a hierarchical navigable small-world graph (Malkov &
/// Yashunin, 2018). Every vector is a node on layer 0 and, with probability falling by a factor
/// of M per layer, on the layers above; a search descends greedily from the top layer's entry
/// point and explores layer 0 best-first, keeping the `ef` best nodes seen.
///
/// Layer 0 links live in one flat buffer, `2M` slots per node after a count, so a search reads
/// each node's links from one place; the rarer upper layers keep an array per node. The vectors
/// are floats, or, with a `ScalarQuantizer`, int8 codes: a quarter of the memory, and the graph
/// built and searched on the codes, so scores are those of the decoded vectors.
public final class HNSWIndex: @unchecked Sendable {
    public struct Parameters: Codable, Sendable, Equatable {
        /// Links per node on the upper layers, twice that on layer 0.
        public var m = 16
        /// Nodes kept while finding a new node's neighbours: higher builds slower and searches better.
        public var efConstruction = 200
        /// Seeds the layer of each node.
        public var seed: UInt64 = 42

        public init(m: Int = 16, efConstruction: Int = 200, seed: UInt64 = 42) {
            self.m = m
            self.efConstruction = efConstruction
            self.seed = seed
        }
    }

    public let metric: VectorMetric
    public let parameters: Parameters
    public let dimension: Int
    public let quantizer: ScalarQuantizer?
    /// The rows: floats, or, with a quantizer, codes (and `vectors` stays empty).
    let vectors: VectorStorage
    let codes: CodeStorage?
    /// Layer 0 links: per node a count, then up to `maxLinks0` neighbours.
    private(set) var links0: UnsafeMutablePointer<Int32>
    private var linkCapacity: Int
    /// Whether `links0` was allocated here (else it points into `mapping`, a loaded index file).
    private var ownsLinks0 = true
    private var mapping: FileMapping?
    /// Per node, its top layer and its links on layers 1…top, `m + 1` slots per layer (nil for
    /// the nodes only on layer 0, nearly all of them).
    private(set) var levels: [UInt8] = []
    private(set) var upperLinks: [UnsafeMutablePointer<Int32>?] = []
    public internal(set) var entryPoint: Int32 = -1
    public internal(set) var topLevel = -1
    public private(set) var deleted: Bitset
    let maxLinks0: Int
    let levelScale: Double
    private let scratchPool = SearchScratchPool()

    /// An empty index; with a `quantizer` (trained on vectors like those to come), the vectors are
    /// stored as its int8 codes.
    public init(dimension: Int, metric: VectorMetric, parameters: Parameters = Parameters(), capacity: Int = 1024,
                quantizer: ScalarQuantizer? = nil) {
        guard parameters.m >= 2, parameters.efConstruction >= 1 else {
            fatalError("HNSW needs m ≥ 2 and efConstruction ≥ 1, got \(parameters.m) and \(parameters.efConstruction)")
        }
        if let quantizer, quantizer.dimension != dimension {
            fatalError("a quantizer of dimension \(quantizer.dimension) for an index of dimension \(dimension)")
        }
        self.metric = metric
        self.parameters = parameters
        self.dimension = dimension
        self.quantizer = quantizer
        vectors = VectorStorage(dimension: dimension, capacity: quantizer == nil ? capacity : 1)
        codes = quantizer.map { CodeStorage(quantizer: $0, capacity: capacity) }
        maxLinks0 = 2 * parameters.m
        levelScale = 1 / log(Double(parameters.m))
        linkCapacity = max(1, capacity)
        links0 = .allocate(capacity: linkCapacity * (maxLinks0 + 1))
        deleted = Bitset(count: 0)
    }

    deinit {
        if ownsLinks0 { links0.deallocate() }
        for links in upperLinks { links?.deallocate() }
    }

    public var count: Int { levels.count }

    /// Vector `id` as the index holds it: prepared for the metric, and decoded from its codes when quantized.
    public func vector(_ id: Int32) -> [Float] {
        guard let codes else { return Array(UnsafeBufferPointer(start: vectors[Int(id)], count: dimension)) }
        return [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
            codes.quantizer.decode(codes[Int(id)], into: buffer.baseAddress!)
            initialized = dimension
        }
    }

    // MARK: Scoring

    /// Runs `body` with a scorer of the stored rows against a prepared query.
    @inline(__always)
    func withScorer<R>(_ query: UnsafePointer<Float>, _ body: (QueryScorer) -> R) -> R {
        guard let codes else { return body(QueryScorer(query, rows: vectors, metric: metric)) }
        return QueryScorer.with(query, codes: codes, metric: metric, body)
    }

    /// Runs `body` with a scorer of the stored rows against node `node`'s own vector.
    @inline(__always)
    func withNodeScorer<R>(_ node: Int32, _ body: (QueryScorer) -> R) -> R {
        guard let codes else { return body(QueryScorer(vectors[Int(node)], rows: vectors, metric: metric)) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { decoded in
            codes.quantizer.decode(codes[Int(node)], into: decoded.baseAddress!)
            return QueryScorer.with(decoded.baseAddress!, codes: codes, metric: metric, body)
        }
    }

    // MARK: Links

    /// The node's links on `level`: a count, then the neighbours.
    @inline(__always)
    func links(_ node: Int32, _ level: Int) -> UnsafeMutablePointer<Int32> {
        level == 0 ? links0 + Int(node) * (maxLinks0 + 1) : upperLinks[Int(node)]! + (level - 1) * (parameters.m + 1)
    }

    /// The node's neighbours on `level` (for inspection; searches read the links in place).
    public func neighbours(of node: Int32, level: Int = 0) -> [Int32] {
        guard Int(node) < count, level <= Int(levels[Int(node)]) else { return [] }
        let links = links(node, level)
        return Array(UnsafeBufferPointer(start: links + 1, count: Int(links[0])))
    }

    func capacity(atLevel level: Int) -> Int { level == 0 ? maxLinks0 : parameters.m }

    // MARK: Building

    /// Adds a vector (normalised for cosine) and links it into the graph; returns its id.
    @discardableResult
    public func add(_ vector: [Float]) -> Int32 {
        let id = append(vector)
        link(id, locks: nil)
        return id
    }

    /// Adds vectors and links them on `threads` threads (each node's links guarded by its own
    /// lock while the batch is linked); returns their ids. With more than one thread, the graph
    /// depends on the order the threads happen to link in, as with any concurrent HNSW build.
    @discardableResult
    public func add(contentsOf batch: [[Float]], threads: Int = Compute.threads) -> Range<Int32> {
        let first = count
        if let codes { codes.reserve(first + batch.count) } else { vectors.reserve(first + batch.count) }
        if first + batch.count > linkCapacity { growLinks(to: first + batch.count) }
        for vector in batch { append(vector) }
        var start = first
        if entryPoint < 0, start < count {
            link(Int32(start), locks: nil)
            start += 1
        }
        let remaining = count - start
        if threads <= 1 || remaining < 2 {
            for id in start..<count { link(Int32(id), locks: nil) }
        } else {
            let locks = NodeLocks(count: count)
            // Many small chunks taken in order, so the threads grow the graph together from its start.
            Compute.parallel(remaining, chunks: min(remaining, threads * 256)) { _, range in
                for k in range { self.link(Int32(start + k), locks: locks) }
            }
        }
        return Int32(first)..<Int32(count)
    }

    /// Puts back the graph of a saved index whose vectors are already in place (see
    /// `init(contentsOf:)`): layer-0 links served from the mapped file, the rest copied.
    func restore(mapping: FileMapping, links0 mapped: UnsafeMutablePointer<Int32>, levels: [UInt8], upper: UnsafePointer<Int32>,
                 deleted words: UnsafeBufferPointer<UInt64>, entryPoint: Int32, topLevel: Int) {
        if ownsLinks0 { links0.deallocate() }
        (links0, linkCapacity, ownsLinks0, self.mapping) = (mapped, levels.count, false, mapping)
        self.levels = levels
        var next = 0
        upperLinks = levels.map { level in
            guard level > 0 else { return nil }
            let size = Int(level) * (parameters.m + 1)
            let links = UnsafeMutablePointer<Int32>.allocate(capacity: size)
            links.initialize(from: upper + next, count: size)
            next += size
            return links
        }
        deleted = Bitset(count: levels.count)
        for (i, word) in words.enumerated() { deleted.setWord(i, word) }
        (self.entryPoint, self.topLevel) = (entryPoint, topLevel)
    }

    /// Stores a vector and its empty links, without linking it.
    @discardableResult
    private func append(_ vector: [Float]) -> Int32 {
        guard vector.count == dimension else { fatalError("a vector of \(vector.count) values for dimension \(dimension)") }
        let id = Int32(metric.prepare(vector).withUnsafeBufferPointer { codes?.append($0.baseAddress!) ?? vectors.append($0) })
        if Int(id) == linkCapacity { growLinks(to: max(16, 2 * linkCapacity)) }
        links0[Int(id) * (maxLinks0 + 1)] = 0
        deleted.grow(to: Int(id) + 1)
        let level = randomLevel(id)
        levels.append(UInt8(level))
        var upper: UnsafeMutablePointer<Int32>?
        if level > 0 {
            upper = .allocate(capacity: level * (parameters.m + 1))
            upper!.initialize(repeating: 0, count: level * (parameters.m + 1))
        }
        upperLinks.append(upper)
        return id
    }

    /// Layer ⌊−ln(u) · mL⌋ with u uniform in (0, 1], from the node id and the seed: the same
    /// vectors added in the same order give the same graph.
    private func randomLevel(_ id: Int32) -> Int {
        let bits = StableHash.mix(parameters.seed &+ UInt64(id) &* 0x9E37_79B9_7F4A_7C15) >> 11
        let u = (Double(bits) + 1) / Double(1 << 53)
        return min(Int(-log(u) * levelScale), Int(UInt8.max))
    }

    private func growLinks(to capacity: Int) {
        let grown = UnsafeMutablePointer<Int32>.allocate(capacity: capacity * (maxLinks0 + 1))
        grown.update(from: links0, count: min(linkCapacity, count) * (maxLinks0 + 1))
        if ownsLinks0 { links0.deallocate() }
        (links0, linkCapacity, ownsLinks0) = (grown, capacity, true)
    }

    /// Links node `id` into the graph. With `locks` (a concurrent batch), every read or write of
    /// a node's links holds that node's lock, and the entry point is read and moved under the
    /// global lock, held for the whole insertion of a node that becomes the new top.
    private func link(_ id: Int32, locks: NodeLocks?) {
        let level = Int(levels[Int(id)])
        locks?.global.lock()
        guard entryPoint >= 0 else {
            (entryPoint, topLevel) = (id, level)
            locks?.global.unlock()
            return
        }
        let (start, top) = (entryPoint, topLevel)
        let raisesTop = level > top
        if !raisesTop { locks?.global.unlock() }
        let table = locks?.table
        withNodeScorer(id) { scorer in
            var entry = Candidate(score: scorer.score(Int(start)), id: start)
            if top > level {
                for l in stride(from: top, to: level, by: -1) { entry = greedy(scorer, from: entry, level: l, locks: table) }
            }
            for l in stride(from: min(level, top), through: 0, by: -1) {
                let found = searchLayer(scorer, entry: entry, ef: parameters.efConstruction, level: l, accept: nil, locks: table)
                let chosen = selectNeighbours(found, limit: parameters.m)
                table?.lock(id)
                let own = links(id, l)
                own[0] = Int32(chosen.count)
                for (k, c) in chosen.enumerated() { own[k + 1] = c.id }
                table?.unlock(id)
                for neighbour in chosen { connect(neighbour.id, to: id, score: neighbour.score, level: l, locks: table) }
                entry = found[0]
            }
        }
        if raisesTop {
            (entryPoint, topLevel) = (id, level)
            locks?.global.unlock()
        }
    }

    /// Adds `id` to `node`'s links on `level`; a full list is pruned with the same heuristic.
    private func connect(_ node: Int32, to id: Int32, score: Float, level: Int, locks: LockTable?) {
        let limit = capacity(atLevel: level)
        locks?.lock(node)
        defer { locks?.unlock(node) }
        let links = links(node, level)
        let count = Int(links[0])
        if count < limit {
            links[count + 1] = id
            links[0] += 1
            return
        }
        var candidates = [Candidate(score: score, id: id)]
        withNodeScorer(node) { scorer in
            for k in 1...count { candidates.append(Candidate(score: scorer.score(Int(links[k])), id: links[k])) }
        }
        let kept = selectNeighbours(candidates.sorted(by: >), limit: limit)
        links[0] = Int32(kept.count)
        for (k, c) in kept.enumerated() { links[k + 1] = c.id }
    }

    /// The heuristic of the paper (algorithm 4): walking candidates from nearest, keep one only
    /// if it is nearer to the base than to every one kept, so links spread in all directions.
    func selectNeighbours(_ nearestFirst: [Candidate], limit: Int) -> [Candidate] {
        var kept: [Candidate] = []
        for c in nearestFirst {
            if kept.count == limit { break }
            if kept.isEmpty || withNodeScorer(c.id, { scorer in kept.allSatisfy { scorer.score(Int($0.id)) < c.score } }) { kept.append(c) }
        }
        return kept
    }

    // MARK: Searching

    /// Moves to the nearest neighbour on `level` while one is nearer.
    private func greedy(_ scorer: QueryScorer, from start: Candidate, level: Int, locks: LockTable? = nil) -> Candidate {
        if let rows = scorer.codeRows { return greedy(rows, from: start, level: level, locks: locks) }
        return greedy(scorer.floatRows!, from: start, level: level, locks: locks)
    }

    private func greedy<Rows: RowScorer>(_ scorer: Rows, from start: Candidate, level: Int, locks: LockTable?) -> Candidate {
        var best = start
        var moved = true
        // Only a concurrent build copies links out under their lock.
        let scratch = locks == nil ? nil : UnsafeMutablePointer<Int32>.allocate(capacity: maxLinks0 + 1)
        defer { scratch?.deallocate() }
        while moved {
            moved = false
            var links = links(best.id, level)
            if let locks, let scratch { links = locks.copy(links, of: best.id, into: scratch) }
            for k in 0..<Int(links[0]) {
                let n = links[k + 1]
                let s = scorer.score(Int(n))
                if s > best.score {
                    best = Candidate(score: s, id: n)
                    moved = true
                }
            }
        }
        return best
    }

    /// Best-first exploration of `level` from `entry`, keeping the `ef` best nodes that `accept`
    /// allows, returned best first; nodes it refuses are still walked through, so a filter never
    /// cuts the graph. The hot loop reads raw pointers and prefetches each next neighbour's vector
    /// while scoring the current one: graph order defeats the hardware prefetcher, and memory
    /// latency, not arithmetic, bounds the search.
    private func searchLayer(_ scorer: QueryScorer, entry: Candidate, ef: Int, level: Int,
                             accept: ((Int32) -> Bool)?, locks: LockTable? = nil) -> [Candidate] {
        if let rows = scorer.codeRows { return searchLayer(rows, entry: entry, ef: ef, level: level, accept: accept, locks: locks) }
        return searchLayer(scorer.floatRows!, entry: entry, ef: ef, level: level, accept: accept, locks: locks)
    }

    private func searchLayer<Rows: RowScorer>(_ scorer: Rows, entry: Candidate, ef: Int, level: Int,
                                              accept: ((Int32) -> Bool)?, locks: LockTable?) -> [Candidate] {
        let scratch = scratchPool.take(count: count)
        defer { scratchPool.give(scratch) }
        let copied = locks == nil ? nil : UnsafeMutablePointer<Int32>.allocate(capacity: maxLinks0 + 1)
        defer { copied?.deallocate() }
        // Heaps and marks in locals: a class's stored properties pay dynamic exclusivity checks per access.
        var frontier = scratch.frontier, results = scratch.results
        let (marks, generation) = (scratch.marks, scratch.generation)
        marks[Int(entry.id)] = generation
        frontier.push(entry)
        if accept?(entry.id) ?? true { results.push(entry) }
        let links0 = self.links0, stride0 = maxLinks0 + 1
        while !frontier.isEmpty {
            let nearest = frontier.pop()
            if results.count >= ef, nearest.score < results.top.score { break }
            var links = level == 0 ? links0 + Int(nearest.id) * stride0 : self.links(nearest.id, level)
            if let locks, let copied { links = locks.copy(links, of: nearest.id, into: copied) }
            let count = Int(links[0])
            if count == 0 { continue }
            funnel_prefetch(scorer.row(Int(links[1])))
            for k in 1...count {
                if k < count { funnel_prefetch(scorer.row(Int(links[k + 1]))) }
                let n = links[k]
                if marks[Int(n)] == generation { continue }
                marks[Int(n)] = generation
                let s = scorer.score(Int(n))
                let full = results.count >= ef
                guard !full || s > results.top.score else { continue }
                let candidate = Candidate(score: s, id: n)
                frontier.push(candidate)
                if accept?(n) ?? true {
                    if full { results.replaceTop(candidate) } else { results.push(candidate) }
                }
            }
        }
        // The results, drained worst first into the array from its end.
        var found = [Candidate](repeating: entry, count: results.count)
        for i in stride(from: found.count - 1, through: 0, by: -1) { found[i] = results.pop() }
        (scratch.frontier, scratch.results) = (frontier, results)   // keep buffers that grew
        return found
    }

    /// The `k` nearest vectors the filter allows and that are not deleted, exploring `ef` nodes
    /// (at least `k`). A filter that allows fewer than `exactBelow` vectors (by default
    /// `exactThreshold`) is answered by an exact scan of those vectors: the graph would have to
    /// wander through many refused nodes, and recall would fall.
    public func search(_ query: [Float], k: Int, ef: Int = 64, filter: VectorFilter? = nil, exactBelow: Int? = nil) -> [VectorHit] {
        guard query.count == dimension else { fatalError("a query of \(query.count) values for dimension \(dimension)") }
        guard entryPoint >= 0, k > 0 else { return [] }
        let prepared = metric.prepare(query)
        let accept = VectorFilter.acceptance(excluding: deleted, filter)
        return prepared.withUnsafeBufferPointer { q in
            withScorer(q.baseAddress!) { scorer in
                if let allowed = filter?.allowedCount, allowed < exactBelow ?? Self.exactThreshold(count: count, ef: max(ef, k)) {
                    return ExactSearch.scan(scorer, count: count, k: k, allowed: filter?.bitset,
                                            accept: VectorFilter.acceptance(excluding: deleted, filter?.bitset == nil ? filter : nil), threads: 1)
                }
                var entry = Candidate(score: scorer.score(Int(entryPoint)), id: entryPoint)
                for l in stride(from: topLevel, to: 0, by: -1) { entry = greedy(scorer, from: entry, level: l) }
                return searchLayer(scorer, entry: entry, ef: max(ef, k), level: 0, accept: accept).prefix(k).map { VectorHit(id: $0.id, score: $0.score) }
            }
        }
    }

    /// How many allowed vectors make the graph worth it. An exact scan costs about 9 ns per
    /// allowed vector at dimension 64; a graph search about 0.8 µs · ef, stretched by (1/s)^0.65
    /// when a fraction s of the vectors is allowed (it walks through the refused ones). The two
    /// cross at s = (85 · ef / n)^0.6: 13% of 100,000 vectors at ef 40, 3% of a million
    /// (measured on 100,000 clustered vectors with `funnel bench vectors --selectivity`, once
    /// with `--exact-below 0` and once with `--exact-below` above the count).
    public static func exactThreshold(count: Int, ef: Int) -> Int {
        guard count > 0 else { return 0 }
        return Int(Double(count) * min(1, pow(85 * Double(ef) / Double(count), 0.6)))
    }

    /// Excludes a vector from every later search; it stays in the graph as a waypoint.
    public func delete(_ id: Int32) {
        deleted[Int(id)] = true
    }

    /// Bytes held by vectors (or their codes) and links.
    public var memoryBytes: Int {
        vectors.memoryBytes + (codes?.memoryBytes ?? 0) + linkCapacity * (maxLinks0 + 1) * 4 + levels.capacity
            + upperLinks.capacity * 8 + levels.reduce(0) { $0 + Int($1) * (parameters.m + 1) * 4 }
    }
}

/// One lock per node while a batch is linked concurrently, and one for the entry point. The
/// class owns them; the searches use `table`, a plain struct of pointers, because every use of a
/// shared class reference is an atomic reference count that both threads would fight over.
final class NodeLocks: @unchecked Sendable {
    let table: LockTable
    let global = NSLock()

    init(count: Int) {
        table = LockTable(mutexes: .allocate(capacity: count), count: count)
        for i in 0..<count { pthread_mutex_init(table.mutexes + i, nil) }
    }

    deinit {
        for i in 0..<table.count { pthread_mutex_destroy(table.mutexes + i) }
        table.mutexes.deallocate()
    }
}

struct LockTable {
    let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    let count: Int

    @inline(__always) func lock(_ node: Int32) { pthread_mutex_lock(mutexes + Int(node)) }
    @inline(__always) func unlock(_ node: Int32) { pthread_mutex_unlock(mutexes + Int(node)) }

    /// A snapshot of `node`'s links (count, then neighbours) taken under its lock.
    @inline(__always)
    func copy(_ links: UnsafeMutablePointer<Int32>, of node: Int32, into scratch: UnsafeMutablePointer<Int32>) -> UnsafeMutablePointer<Int32> {
        lock(node)
        let count = Int(links[0])
        for k in 0...count { scratch[k] = links[k] }
        unlock(node)
        return scratch
    }
}
