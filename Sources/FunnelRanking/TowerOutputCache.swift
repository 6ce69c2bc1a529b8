import Foundation
import FunnelTensor

/// A tower's outputs for the inputs it has computed, keyed by the input's values: the
/// pre-ranker's item tower, whose input depends on the item alone between rebuilds, runs once
/// per item. An item whose features change (a rebuild's new statistics, an edit) has a new
/// key and is computed afresh, so what the cache returns always equals what the tower would.
/// Bounded: when `capacity` inputs are held it starts over. Safe to share between requests.
public final class TowerOutputCache: @unchecked Sendable {
    public let inputWidth: Int
    public let outputWidth: Int
    public let capacity: Int

    private let lock = NSLock()
    /// The entry of each input's hash; its input in `keys`, its output in `values`.
    private var entries: [UInt64: Int] = [:]
    private var keys: [Float] = []
    private var values: [Float] = []
    private var counts = (hits: 0, misses: 0)

    public init(inputWidth: Int, outputWidth: Int, capacity: Int = 1 << 16) {
        precondition(inputWidth > 0 && outputWidth > 0 && capacity > 0, "a tower cache needs inputs, outputs and room")
        (self.inputWidth, self.outputWidth, self.capacity) = (inputWidth, outputWidth, capacity)
    }

    /// The inputs held (by hash), and how many looked-up rows were found and computed since the start.
    public var count: Int { lock.withLock { entries.count } }
    public var hits: Int { lock.withLock { counts.hits } }
    public var misses: Int { lock.withLock { counts.misses } }

    /// Writes the outputs of `rows` inputs (each `inputWidth` values, `stride` apart) to `out`
    /// (`outputWidth` values per row, `outStride` apart): those held from the cache, the rest
    /// computed together by `compute` (a `[missed, inputWidth]` matrix in, `[missed,
    /// outputWidth]` out) and kept.
    public func fill(_ out: UnsafeMutablePointer<Float>, stride outStride: Int, inputs x: UnsafePointer<Float>, stride: Int, rows: Int,
                     in workspace: Workspace, compute: (Matrix) -> Matrix) {
        let bytes = inputWidth * MemoryLayout<Float>.size
        let hashes = (0..<rows).map { hash(x + $0 * stride) }
        var missed: [Int] = []
        lock.withLock {
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeBufferPointer { values in
                    for r in 0..<rows {
                        if let entry = entries[hashes[r]], memcmp(keys.baseAddress! + entry * inputWidth, x + r * stride, bytes) == 0 {
                            (out + r * outStride).update(from: values.baseAddress! + entry * outputWidth, count: outputWidth)
                        } else {
                            missed.append(r)
                        }
                    }
                }
            }
            counts.hits += rows - missed.count
            counts.misses += missed.count
        }
        guard !missed.isEmpty else { return }
        let inputs = workspace.matrix(rows: missed.count, columns: inputWidth)
        for (k, r) in missed.enumerated() { (inputs.base + k * inputWidth).update(from: x + r * stride, count: inputWidth) }
        let outputs = compute(inputs)
        precondition(outputs.rows == missed.count && outputs.columns == outputWidth, "the tower's outputs do not match the cache's width")
        for (k, r) in missed.enumerated() { (out + r * outStride).update(from: outputs.base + k * outputWidth, count: outputWidth) }
        lock.withLock {
            // Entries are only appended (a changed input adds one), so the held rows bound the room.
            if keys.count / inputWidth + missed.count > capacity { (entries, keys, values) = ([:], [], []) }
            for (k, r) in missed.enumerated() where keys.count / inputWidth < capacity {
                entries[hashes[r]] = keys.count / inputWidth
                keys.append(contentsOf: UnsafeBufferPointer(start: x + r * stride, count: inputWidth))
                values.append(contentsOf: UnsafeBufferPointer(start: outputs.base + k * outputWidth, count: outputWidth))
            }
        }
    }

    /// FNV-1a over the input's bit patterns; equal hashes are confirmed by comparing the values.
    private func hash(_ x: UnsafePointer<Float>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for j in 0..<inputWidth { h = (h ^ UInt64(x[j].bitPattern)) &* 0x100_0000_01b3 }
        return h
    }
}
