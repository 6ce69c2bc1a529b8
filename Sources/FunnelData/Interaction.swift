/// One user–item interaction with its time, in dense interned ids.
public struct Interaction: Sendable, Hashable {
    public var user: Int32
    public var item: Int32
    public var timestamp: Int64

    public init(user: Int32, item: Int32, timestamp: Int64) {
        self.user = user
        self.item = item
        self.timestamp = timestamp
    }
}

/// Splits of interactions into train and test for evaluation.
public enum InteractionSplit {
    /// Everything before the time that leaves `testFraction` of the interactions after it is
    /// train, the rest test (a global temporal split: no training on the future).
    public static func globalTemporal(_ interactions: [Interaction], testFraction: Double) -> (train: [Interaction], test: [Interaction]) {
        guard testFraction > 0, testFraction < 1 else { fatalError("testFraction \(testFraction) is not in (0, 1)") }
        let sorted = interactions.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
        let cut = Int((Double(sorted.count) * (1 - testFraction)).rounded())
        return (Array(sorted[..<cut]), Array(sorted[cut...]))
    }

    /// A uniformly random split, fixed by `seed`.
    public static func random(_ interactions: [Interaction], testFraction: Double, seed: UInt64) -> (train: [Interaction], test: [Interaction]) {
        guard testFraction > 0, testFraction < 1 else { fatalError("testFraction \(testFraction) is not in (0, 1)") }
        var generator = SplitMix64(seed: seed)
        var train: [Interaction] = [], test: [Interaction] = []
        for x in interactions {
            if generator.nextUnitDouble() < testFraction { test.append(x) } else { train.append(x) }
        }
        return (train, test)
    }
}
