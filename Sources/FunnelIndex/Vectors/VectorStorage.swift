import Foundation

/// Vectors of one dimension, row after row in one 64-byte-aligned buffer that grows by doubling,
/// with each row's squared norm (for L2 through matrix products).
public final class VectorStorage: @unchecked Sendable {
    public let dimension: Int
    public private(set) var count = 0
    public private(set) var capacity: Int
    public private(set) var base: UnsafeMutablePointer<Float>
    public private(set) var squaredNorms: [Float] = []

    public init(dimension: Int, capacity: Int = 1024) {
        guard dimension > 0 else { fatalError("vector dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.capacity = max(1, capacity)
        base = Self.allocate(self.capacity * dimension)
    }

    deinit { free(base) }

    private static func allocate(_ floats: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(64, floats * MemoryLayout<Float>.stride)) == 0, let raw else {
            fatalError("cannot allocate \(floats) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: floats)
    }

    /// Row `i`.
    @inlinable
    public subscript(_ i: Int) -> UnsafeMutablePointer<Float> { base + i * dimension }

    /// Appends a row and returns its index.
    @discardableResult
    public func append(_ vector: UnsafeBufferPointer<Float>) -> Int {
        guard vector.count == dimension else { fatalError("a vector of \(vector.count) values for dimension \(dimension)") }
        if count == capacity { reserve(capacity * 2) }
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
        free(base)
        base = grown
        self.capacity = capacity
    }

    /// Bytes held by the rows and norms.
    public var memoryBytes: Int { capacity * dimension * MemoryLayout<Float>.stride + squaredNorms.capacity * MemoryLayout<Float>.stride }
}
