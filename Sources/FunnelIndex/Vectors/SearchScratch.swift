import Foundation

/// What one graph search works in: visited marks (a generation number per node, so starting a
/// search costs nothing until the counter wraps) and the buffers of its two heaps. Searches take
/// one from a `SearchScratchPool` and give it back.
final class SearchScratch {
    private(set) var marks: UnsafeMutablePointer<UInt16>
    private var capacity: Int
    private(set) var generation: UInt16 = 0
    var frontier = CandidateHeap<BestFirst>(capacity: 256)
    var results = CandidateHeap<WorstFirst>(capacity: 256)

    init(count: Int) {
        capacity = max(1, count)
        marks = .allocate(capacity: capacity)
        marks.initialize(repeating: 0, count: capacity)
    }

    deinit {
        marks.deallocate()
        frontier.deallocate()
        results.deallocate()
    }

    /// Prepares for a search over `count` nodes.
    func reset(count: Int) {
        if capacity < count {
            marks.deallocate()
            capacity = count + count / 2
            marks = .allocate(capacity: capacity)
            marks.initialize(repeating: 0, count: capacity)
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            marks.update(repeating: 0, count: capacity)
            generation = 1
        }
        frontier.removeAll()
        results.removeAll()
    }
}

final class SearchScratchPool: @unchecked Sendable {
    private var free: [SearchScratch] = []
    private let lock = NSLock()

    func take(count: Int) -> SearchScratch {
        lock.lock()
        let scratch = free.popLast()
        lock.unlock()
        let taken = scratch ?? SearchScratch(count: count)
        taken.reset(count: count)
        return taken
    }

    func give(_ scratch: SearchScratch) {
        lock.lock()
        free.append(scratch)
        lock.unlock()
    }
}
