import FunnelTensor

extension HNSWIndex {
    /// Takes the deleted nodes out of the graph. Until then they stay as waypoints: searches walk
    /// through them without returning them, which keeps recall but spends time on nodes that can
    /// never be answers, more of it as deletions pile up. Every live node linked to a deleted one
    /// chooses its links again, with the same heuristic as a build, among its live neighbours and
    /// the live neighbours of its deleted ones; deleted nodes then lose their own links, and a
    /// deleted entry point hands over to the live node on the highest layer. Nodes are repaired
    /// on `threads` threads (each rewrites only its own list and reads lists that do not change
    /// during its layer). Not to be run while the index is searched or added to.
    public func repairDeletions(threads: Int = Compute.threads) {
        guard deleted.setCount > 0, count > 0 else { return }
        let deleted = self.deleted
        for level in 0...max(0, topLevel) {
            Compute.parallel(count, chunks: threads <= 1 ? 1 : threads * 16) { _, range in
                for node in range where !deleted[node] && Int(self.levels[node]) >= level {
                    self.relink(Int32(node), level: level, deleted: deleted)
                }
            }
        }
        for node in 0..<count where deleted[node] {
            for level in 0...Int(levels[node]) { links(Int32(node), level)[0] = 0 }
        }
        if deleted[Int(entryPoint)] {
            let live = (0..<count).filter { !deleted[$0] }.max { levels[$0] < levels[$1] }
            (entryPoint, topLevel) = live.map { (Int32($0), Int(levels[$0])) } ?? (-1, -1)
        }
    }

    /// Chooses `node`'s links on `level` again if any of them is deleted.
    private func relink(_ node: Int32, level: Int, deleted: Bitset) {
        let own = links(node, level)
        let count = Int(own[0])
        guard count > 0, (1...count).contains(where: { deleted[Int(own[$0])] }) else { return }
        var seen: Set<Int32> = [node]
        var candidates: [Candidate] = []
        withNodeScorer(node) { scorer in
            func consider(_ id: Int32) {
                guard !deleted[Int(id)], seen.insert(id).inserted else { return }
                candidates.append(Candidate(score: scorer.score(Int(id)), id: id))
            }
            for k in 1...count {
                let neighbour = own[k]
                guard deleted[Int(neighbour)] else {
                    consider(neighbour)
                    continue
                }
                let through = links(neighbour, level)
                for j in 0..<Int(through[0]) { consider(through[j + 1]) }
            }
        }
        let kept = selectNeighbours(candidates.sorted(by: >), limit: capacity(atLevel: level))
        own[0] = Int32(kept.count)
        for (k, c) in kept.enumerated() { own[k + 1] = c.id }
    }

    /// A new index of the live vectors alone, built afresh with the same parameters on `threads`
    /// threads (the periodic rebuild that also gives back the memory of deleted vectors), and
    /// for each of its ids the id the vector had here. A quantized index keeps its quantizer.
    public func compacted(threads: Int = Compute.threads) -> (index: HNSWIndex, originalIDs: [Int32]) {
        let live = (0..<Int32(count)).filter { !deleted[Int($0)] }
        let rebuilt = HNSWIndex(dimension: dimension, metric: metric, parameters: parameters, capacity: max(1, live.count), quantizer: quantizer)
        rebuilt.add(contentsOf: live.map(vector), threads: threads)
        return (rebuilt, live)
    }
}
