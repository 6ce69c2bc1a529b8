/// SplitMix64 (Steele et al.): a tiny seedable generator for data splits and evaluation
/// protocols, so a seed fixes them on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double uniformly distributed in [0, 1).
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
