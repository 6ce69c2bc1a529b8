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

    /// Fills the mask of one row from a generator seeded by (`seed`, `row`), so any thread can
    /// draw any row and get the same mask.
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<Float>, count: Int, seed: UInt64, row: Int) {
        var generator = SeededGenerator(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
        fill(out, count: count, generator: &generator)
    }
}
