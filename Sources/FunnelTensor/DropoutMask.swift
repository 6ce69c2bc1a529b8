/// Draws dropout decisions four at a time from one 64-bit random word (16 bits each), so masks
/// cost a quarter of a generator call per element.
struct DropoutMask: Sendable {
    /// An element is kept when its 16-bit draw is below this.
    let threshold: UInt64

    init(keep: Float) {
        threshold = UInt64((Double(keep) * 65536).rounded())
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
    /// same mask. Each 64-bit word is a hash of its position (SplitMix64's finaliser over a
    /// counter), not the next state of a generator: no word waits for the one before, so the
    /// loop runs at the width of the vector unit instead of at the latency of a state update.
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, row: Int) {
        let start = Self.mix(seed &+ UInt64(truncatingIfNeeded: row) &* 0x9E37_79B9_7F4A_7C15)
        /// The decisions of word `w` into its `n` (at most four) elements.
        @inline(__always)
        func decide(_ w: Int, _ n: Int) {
            let word = Self.mix(start &+ UInt64(truncatingIfNeeded: w) &* 0x9E37_79B9_7F4A_7C15)
            for k in 0..<n { out[4 * w + k] = (word >> (16 * UInt64(k))) & 0xFFFF < threshold ? 1 : 0 }
        }
        let whole = count / 4
        for w in 0..<whole { decide(w, 4) }
        if whole * 4 < count { decide(whole, count - whole * 4) }
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
