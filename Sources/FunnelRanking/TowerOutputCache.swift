import Foundation
import FunnelTensor

/// A tower's outputs for the inputs it has computed, keyed by the input's values: the
/// pre-ranker's item tower, whose input depends on the item alone between rebuilds, runs once
/// per item. An item whose features change (a rebuild's new statistics, an edit) has a new
/// key and is computed afresh, so what the cache returns always equals what the tower would.
/// Bounded: when `capacity` inputs are held it starts over. Safe to share between requests.
/// The table is written here rather than a `Dictionary` keyed by hash: hashing each key again
/// (SipHash) cost more than the lookups it serves.
public final class TowerOutputCache: @unchecked Sendable {
    public let inputWidth: Int
    public let outputWidth: Int
    public let capacity: Int

    private let lock = NSLock()
    /// An open-addressing table of twice the capacity (linear probing): each slot the entry
    /// of an input (its hash in `hashes`, its values in `keys`, its output in `values`), or −1.
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var keys: [Float] = []
    private var values: [Float] = []
    private var counts = (hits: 0, misses: 0)

    public init(inputWidth: Int, outputWidth: Int, capacity: Int = 1 << 16) {
        precondition(inputWidth > 0 && outputWidth > 0 && capacity > 0 && capacity < Int(Int32.max) / 2, "a tower cache needs inputs, outputs and room")
        (self.inputWidth, self.outputWidth, self.capacity) = (inputWidth, outputWidth, capacity)
        var size = 2
        while size < 2 * capacity { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
    }

    /// The inputs held, and how many looked-up rows were found and computed since the start.
    public var count: Int { lock.withLock { hashes.count } }
    public var hits: Int { lock.withLock { counts.hits } }
    public var misses: Int { lock.withLock { counts.misses } }

    /// Writes the outputs of `rows` inputs (each `inputWidth` values, `stride` apart) to `out`
    /// (`outputWidth` values per row, `outStride` apart): those held from the cache, the rest
    /// computed together by `compute` (a `[missed, inputWidth]` matrix in, `[missed,
    /// outputWidth]` out) and kept.
    public func fill(_ out: UnsafeMutablePointer<Float>, stride outStride: Int, inputs x: UnsafePointer<Float>, stride: Int, rows: Int,
                     in workspace: Workspace, compute: (Matrix) -> Matrix) {
        let bytes = inputWidth * MemoryLayout<Float>.size
        let rowHashes = (0..<rows).map { hash(x + $0 * stride) }
        var missed: [Int] = []
        lock.withLock {
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeBufferPointer { values in
                    for r in 0..<rows {
                        if let entry = find(rowHashes[r], x + r * stride, keys: keys.baseAddress, bytes: bytes) {
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
            if hashes.count + missed.count > capacity {
                for k in slots.indices { slots[k] = -1 }
                (hashes, keys, values) = ([], [], [])
            }
            for (k, r) in missed.enumerated() where hashes.count < capacity {
                let input = x + r * stride
                // Another request may have added it meanwhile.
                if keys.withUnsafeBufferPointer({ find(rowHashes[r], input, keys: $0.baseAddress, bytes: bytes) }) != nil { continue }
                var slot = Int(truncatingIfNeeded: rowHashes[r]) & (slots.count - 1)
                while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
                slots[slot] = Int32(hashes.count)
                hashes.append(rowHashes[r])
                keys.append(contentsOf: UnsafeBufferPointer(start: input, count: inputWidth))
                values.append(contentsOf: UnsafeBufferPointer(start: outputs.base + k * outputWidth, count: outputWidth))
            }
        }
    }

    /// The entry holding `input` (whose hash is `hash`), if any; under the lock.
    private func find(_ hash: UInt64, _ input: UnsafePointer<Float>, keys: UnsafePointer<Float>?, bytes: Int) -> Int? {
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if hashes[entry] == hash, memcmp(keys! + entry * inputWidth, input, bytes) == 0 { return entry }
            slot = (slot + 1) & (slots.count - 1)
        }
    }

    /// FNV-1a over the input's bit patterns in four independent lanes (one multiply chain
    /// would leave the core waiting), folded together; equal hashes are confirmed by comparing
    /// the values.
    private func hash(_ x: UnsafePointer<Float>) -> UInt64 {
        let prime: UInt64 = 0x100_0000_01b3
        var lanes = SIMD4<UInt64>(0xcbf2_9ce4_8422_2325, 0x84222325cbf29ce4, 0x9ce4cbf284222325, 0x2325cbf29ce48422)
        var j = 0
        x.withMemoryRebound(to: UInt32.self, capacity: inputWidth) { bits in
            while j + 4 <= inputWidth {
                lanes = (lanes ^ SIMD4(UInt64(bits[j]), UInt64(bits[j + 1]), UInt64(bits[j + 2]), UInt64(bits[j + 3]))) &* prime
                j += 4
            }
            while j < inputWidth {
                lanes[0] = (lanes[0] ^ UInt64(bits[j])) &* prime
                j += 1
            }
        }
        var h = lanes[0] ^ (lanes[1] << 16 | lanes[1] >> 48) ^ (lanes[2] << 32 | lanes[2] >> 32) ^ (lanes[3] << 48 | lanes[3] >> 16)
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        return h ^ (h >> 33)
    }
}
