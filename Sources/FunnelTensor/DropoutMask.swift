/// Draws dropout decisions: from a generator, four at a time from one 64-bit word (16 bits
/// each); or per row from a hash of each element's position, eight lanes at a time.
struct DropoutMask: Sendable {
    /// An element is kept when its 16-bit draw is below this.
    let threshold: UInt64
    /// The same for a 32-bit draw.
    let threshold32: UInt32

    init(keep: Float) {
        threshold = UInt64((Double(keep) * 65536).rounded())
        threshold32 = UInt32(min((Double(keep) * 4_294_967_296).rounded(), 4_294_967_295))
    }

    /// Writes 1 (keep) or 0 (drop) for `count` elements.
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<Float>, count: Int, generator: inout SeededGenerator) {
        var i = 0
        while i < count {
            var word = generator.next()
            for _ in 0..<min(4, count - i) {
                out[i] = (word & 0xFFFF) < threshold ? 1 : 0
                word >>= 16
                i += 1
            }
        }
    }

    /// Fills the mask of one row from (`seed`, `row`), so any thread can draw any row and get the
    /// same mask. Each element's draw is a 32-bit hash of its position under a per-row key, not
    /// the next state of a generator: eight lanes at once in vector registers, with 32-bit
    /// multiplies (the vector unit has no 64-bit one before AVX-512).
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, row: Int) {
        let key = Self.mix(seed &+ UInt64(truncatingIfNeeded: row) &* 0x9E37_79B9_7F4A_7C15)
        let low = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: key))
        let high = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: key >> 32))
        let limit = SIMD8<UInt32>(repeating: threshold32)
        let one = SIMD8<Float>(repeating: 1), zero = SIMD8<Float>(repeating: 0)
        var position = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        var i = 0
        while i < count {
            var z = (position &* 0x9E37_79B9) ^ low
            z ^= z &>> 16
            z &*= 0x7FEB_352D
            z ^= high
            z ^= z &>> 15
            z &*= 0x846C_A68B
            z ^= z &>> 16
            let decisions = zero.replacing(with: one, where: z .< limit)
            if i + 8 <= count {
                UnsafeMutableRawPointer(out + i).storeBytes(of: decisions, as: SIMD8<Float>.self)
            } else {
                for k in 0..<(count - i) { out[i + k] = decisions[k] }
            }
            position &+= 8
            i += 8
        }
    }

    /// SplitMix64's finaliser: a bijection of 64-bit words that spreads every input bit.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
