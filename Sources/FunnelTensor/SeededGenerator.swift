import Foundation

/// A fast, seedable random generator (xoshiro256**), so every run with the same seed
/// draws the same numbers on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        nextRaw()
    }

    @usableFromInline
    mutating func nextRaw() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A float uniformly distributed in [0, 1).
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }

    /// A standard normal sample (Box–Muller, both values used).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = nextUnitFloat()
        while u1 <= .leastNormalMagnitude { u1 = nextUnitFloat() }
        let u2 = nextUnitFloat()
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        let angle = 2 * Float.pi * u2
        spareNormal = radius * Foundation.sin(angle)
        return radius * Foundation.cos(angle)
    }

    /// An integer uniformly drawn from `0..<bound`.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        Int(next(upperBound: UInt64(bound)))
    }

    /// A generator for a separate stream, derived deterministically from this one.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }
}
