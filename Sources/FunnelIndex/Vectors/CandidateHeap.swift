/// A node met during a graph search, with its score for the query. Lower score first, and among
/// equal scores the larger id, so results are stable.
struct Candidate: Comparable {
    var score: Float
    var id: Int32

    static func < (a: Candidate, b: Candidate) -> Bool { a.score < b.score || (a.score == b.score && a.id > b.id) }
}

/// Which candidate a heap keeps on top.
protocol CandidateOrder {
    static func above(_ a: Candidate, _ b: Candidate) -> Bool
}

/// The best candidate on top: the frontier a search expands next.
enum BestFirst: CandidateOrder {
    @inline(__always) static func above(_ a: Candidate, _ b: Candidate) -> Bool { b < a }
}

/// The worst candidate on top: the `ef` results, whose weakest is replaced by a better one.
enum WorstFirst: CandidateOrder {
    @inline(__always) static func above(_ a: Candidate, _ b: Candidate) -> Bool { a < b }
}

/// A binary heap of candidates in a buffer that a search scratch keeps between searches, so a
/// search allocates nothing. (The min-max heap of swift-collections serves both ends of one heap;
/// a search needs one end of each of two, and its extra comparisons were a fifth of the time of
/// an inner-product search.)
struct CandidateHeap<Order: CandidateOrder> {
    private(set) var storage: UnsafeMutablePointer<Candidate>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    /// Frees the buffer; the owner calls it once.
    func deallocate() { storage.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// The top candidate; the heap must not be empty.
    var top: Candidate { storage[0] }

    mutating func removeAll() { count = 0 }

    mutating func push(_ candidate: Candidate) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Candidate>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity *= 2
        }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            guard Order.above(candidate, storage[parent]) else { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = candidate
    }

    /// Removes and returns the top candidate; the heap must not be empty.
    @discardableResult
    mutating func pop() -> Candidate {
        let top = storage[0]
        count -= 1
        if count > 0 { siftDown(storage[count]) }
        return top
    }

    /// Puts `candidate` in place of the top: a pop and a push in one pass.
    mutating func replaceTop(_ candidate: Candidate) { siftDown(candidate) }

    private mutating func siftDown(_ candidate: Candidate) {
        var i = 0
        while true {
            var child = 2 * i + 1
            if child >= count { break }
            if child + 1 < count, Order.above(storage[child + 1], storage[child]) { child += 1 }
            guard Order.above(storage[child], candidate) else { break }
            storage[i] = storage[child]
            i = child
        }
        storage[i] = candidate
    }
}
