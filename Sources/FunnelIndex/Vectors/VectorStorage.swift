import Foundation

/// Vectors of one dimension, row after row in one 64-byte-aligned buffer that grows by doubling,
/// with each row's squared norm (for L2 through matrix products). The rows may also live in a
/// mapped index file (`adopt`), until the first append copies them into a buffer of their own.
public final class VectorStorage: @unchecked Sendable {
    public let dimension: Int
    public private(set) var count = 0
    public private(set) var capacity: Int
    public private(set) var base: UnsafeMutablePointer<Float>
    public private(set) var squaredNorms: [Float] = []
    /// Whether `base` was allocated here (else it points into `owner`'s memory).
    private var ownsBase = true
    private var owner: AnyObject?

    public init(dimension: Int, capacity: Int = 1024) {
        guard dimension > 0 else { fatalError("vector dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.capacity = max(1, capacity)
        base = Self.allocate(self.capacity * dimension)
    }

    deinit { if ownsBase { free(base) } }

    /// `count` values on a 64-byte boundary (a cache line), released with `free`.
    static func allocate<T>(_ count: Int, of type: T.Type = Float.self) -> UnsafeMutablePointer<T> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(64, count * MemoryLayout<T>.stride)) == 0, let raw else {
            fatalError("cannot allocate \(count) \(T.self) values")
        }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    /// Row `i`.
    @inlinable
    public subscript(_ i: Int) -> UnsafeMutablePointer<Float> { base + i * dimension }

    /// Appends a row and returns its index.
    @discardableResult
    public func append(_ vector: UnsafeBufferPointer<Float>) -> Int {
        guard vector.count == dimension else { fatalError("a vector of \(vector.count) values for dimension \(dimension)") }
        if count == capacity { reserve(max(16, capacity * 2)) }
        let row = self[count]
        row.update(from: vector.baseAddress!, count: dimension)
        squaredNorms.append(VectorKernels.dot(row, row, dimension))
        count += 1
        return count - 1
    }

    /// Makes room for `capacity` rows.
    public func reserve(_ capacity: Int) {
        guard capacity > self.capacity else { return }
        let grown = Self.allocate(capacity * dimension)
        grown.update(from: base, count: count * dimension)
        if ownsBase { free(base) }
        (base, ownsBase, owner) = (grown, true, nil)
        self.capacity = capacity
    }

    /// Serves `count` rows that `owner` keeps in memory (a mapped file), without copying them.
    func adopt(rows: UnsafeMutablePointer<Float>, count: Int, squaredNorms: [Float], owner: AnyObject) {
        if ownsBase { free(base) }
        (base, ownsBase, self.owner) = (rows, false, owner)
        (self.count, capacity, self.squaredNorms) = (count, count, squaredNorms)
    }

    /// Bytes held by the rows (owned or mapped) and norms.
    public var memoryBytes: Int { capacity * dimension * MemoryLayout<Float>.stride + squaredNorms.capacity * MemoryLayout<Float>.stride }
}
