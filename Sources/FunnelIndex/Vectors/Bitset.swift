/// A fixed number of bits in 64-bit words: which vectors a filter allows, which are deleted.
public struct Bitset: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public private(set) var count: Int
    /// How many bits are set, kept as bits change: every search asks whether any vector is
    /// deleted, and counting the words each time would cost a pass over them per query.
    public private(set) var setCount: Int

    public init(count: Int, allSet: Bool = false) {
        self.count = count
        setCount = allSet ? count : 0
        words = [UInt64](repeating: allSet ? ~0 : 0, count: (count + 63) / 64)
        if allSet, count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
    }

    public subscript(_ i: Int) -> Bool {
        get { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
        set {
            let old = words[i >> 6]
            let updated = newValue ? old | 1 << UInt64(i & 63) : old & ~(1 << UInt64(i & 63))
            words[i >> 6] = updated
            setCount += updated.nonzeroBitCount - old.nonzeroBitCount
        }
    }

    /// Extends to `count` bits, the new ones clear.
    public mutating func grow(to count: Int) {
        guard count > self.count else { return }
        words += [UInt64](repeating: 0, count: (count + 63) / 64 - words.count)
        self.count = count
    }

    /// Sets a whole word (bits beyond `count` are cleared).
    mutating func setWord(_ index: Int, _ word: UInt64) {
        let valid = min(64, count - index * 64)
        let updated = valid >= 64 ? word : word & ((1 << UInt64(max(0, valid))) - 1)
        setCount += updated.nonzeroBitCount - words[index].nonzeroBitCount
        words[index] = updated
    }
}

/// Which vectors a search may return: a bitset (its count known, which guides the choice between
/// graph and exact search) or any predicate.
public struct VectorFilter: Sendable {
    public let allows: @Sendable (Int32) -> Bool
    /// How many vectors pass, when known.
    public let allowedCount: Int?
    /// The allowed vectors, when the filter is a bitset: an exact search visits only them.
    public let bitset: Bitset?

    public init(_ allowed: Bitset) {
        allows = { Int($0) < allowed.count && allowed[Int($0)] }
        allowedCount = allowed.setCount
        bitset = allowed
    }

    /// `estimatedCount`, if given, stands in for the count of allowed vectors.
    public init(estimatedCount: Int? = nil, _ allows: @escaping @Sendable (Int32) -> Bool) {
        self.allows = allows
        allowedCount = estimatedCount
        bitset = nil
    }
}

extension VectorFilter {
    /// What a search may return: not `deleted` and allowed by `filter`; nil (no per-vector
    /// check at all) when nothing is excluded.
    static func acceptance(excluding deleted: Bitset, _ filter: VectorFilter?) -> ((Int32) -> Bool)? {
        switch (deleted.setCount > 0, filter) {
        case (false, nil): return nil
        case (false, let filter?): return filter.allows
        case (true, nil): return { !deleted[Int($0)] }
        case (true, let filter?): return { !deleted[Int($0)] && filter.allows($0) }
        }
    }
}
