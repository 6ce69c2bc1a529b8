import Synchronization

/// Scores summed over an item space for one request. The row is dense, so that each of the
/// many additions is one indexed add rather than a hash; it is borrowed from a pool and handed
/// back with only the entries this request wrote reset. A request costs what it touches, not a
/// clear of the whole row (400 KB at 100,000 items, which ItemCF, Swing and UserCF each paid
/// per feed).
struct ScoreRow: ~Copyable {
    private let storage: Storage
    /// The entries that hold a score, and those marked out: what the pool gets back cleared.
    private var scored: [Int32] = []
    private var excluded: [Int32] = []

    init(count: Int) {
        storage = Storage.borrow(count)
    }

    deinit {
        let values = storage.values
        for i in scored { values[Int(i)] = 0 }
        for i in excluded { values[Int(i)] = 0 }
        Storage.giveBack(storage)
    }

    /// Leaves item `i` out: it gains no score and is not among the best.
    mutating func exclude(_ i: Int32) {
        if storage.values[Int(i)] != -.infinity { excluded.append(i) }
        storage.values[Int(i)] = -.infinity
    }

    /// Adds `value` to item `i`'s score, unless `i` is left out.
    @inline(__always)
    mutating func add(_ value: Float, to i: Int32) {
        let values = storage.values
        let current = values[Int(i)]
        guard current != -.infinity else { return }
        if current == 0 { scored.append(i) }
        values[Int(i)] = current + value
    }

    /// The `k` best scored items (as `neighbours`, like `TopK`), best first.
    func best(_ k: Int) -> (neighbours: [Int32], scores: [Float]) {
        var top = TopK()
        for i in scored where storage.values[Int(i)].isFinite { top.add(storage.values[Int(i)], i) }
        return top.best(k)
    }

    /// A zeroed row of a given length, reused across requests.
    private final class Storage: @unchecked Sendable {
        let values: UnsafeMutableBufferPointer<Float>

        init(_ count: Int) {
            values = .allocate(capacity: count)
            values.initialize(repeating: 0)
        }

        deinit { values.deallocate() }

        /// Rows kept for reuse: a few per serving thread and channel; rows of an item space
        /// no longer served (after a rebuild) leave as newer ones arrive.
        private static let pool = Mutex<[Storage]>([])
        private static let poolLimit = 16

        static func borrow(_ count: Int) -> Storage {
            pool.withLock { rows in rows.lastIndex { $0.values.count == count }.map { rows.remove(at: $0) } } ?? Storage(count)
        }

        static func giveBack(_ row: Storage) {
            pool.withLock { rows in
                rows.append(row)
                if rows.count > poolLimit { rows.removeFirst() }
            }
        }
    }
}
