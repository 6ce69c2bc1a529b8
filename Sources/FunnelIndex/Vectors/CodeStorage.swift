import Foundation

/// Int8 codes of vectors (see `ScalarQuantizer`), row after row in one 64-byte-aligned buffer
/// that grows by doubling; like `VectorStorage`, the rows may live in a mapped index file until
/// the first append copies them.
final class CodeStorage {
    let quantizer: ScalarQuantizer
    let dimension: Int
    private(set) var count = 0
    private(set) var capacity: Int
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var ownsBase = true
    private var owner: AnyObject?

    init(quantizer: ScalarQuantizer, capacity: Int) {
        self.quantizer = quantizer
        dimension = quantizer.dimension
        self.capacity = max(1, capacity)
        base = VectorStorage.allocate(self.capacity * dimension, of: UInt8.self)
    }

    deinit { if ownsBase { free(base) } }

    subscript(_ i: Int) -> UnsafeMutablePointer<UInt8> { base + i * dimension }

    /// Encodes a prepared vector as the next row; returns its index.
    func append(_ vector: UnsafePointer<Float>) -> Int {
        if count == capacity { reserve(max(16, capacity * 2)) }
        quantizer.encode(vector, into: self[count])
        count += 1
        return count - 1
    }

    func reserve(_ capacity: Int) {
        guard capacity > self.capacity else { return }
        let grown = VectorStorage.allocate(capacity * dimension, of: UInt8.self)
        grown.update(from: base, count: count * dimension)
        if ownsBase { free(base) }
        (base, ownsBase, owner) = (grown, true, nil)
        self.capacity = capacity
    }

    /// Serves `count` rows that `owner` keeps in memory, without copying them.
    func adopt(rows: UnsafeMutablePointer<UInt8>, count: Int, owner: AnyObject) {
        if ownsBase { free(base) }
        (base, ownsBase, self.owner) = (rows, false, owner)
        (self.count, capacity) = (count, count)
    }

    var memoryBytes: Int { capacity * dimension }
}
