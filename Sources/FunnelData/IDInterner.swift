/// Maps string ids to dense Int32 indices (what models see) and back. Indices are assigned in
/// first-seen order and never change, and the interner encodes as its list of ids, so the
/// mapping survives a save and load.
public struct IDInterner: Codable, Sendable, Equatable {
    public private(set) var ids: [String] = []
    @usableFromInline var index: [String: Int32] = [:]

    public init() {}

    public init(ids: [String]) throws {
        for id in ids {
            guard index[id] == nil else { throw DataError(file: "interner", "duplicate id '\(id)'") }
            index[id] = Int32(self.ids.count)
            self.ids.append(id)
        }
    }

    @inlinable public var count: Int { ids.count }

    /// The index of `id`, assigned on first sight.
    public mutating func intern(_ id: String) -> Int32 {
        if let i = index[id] { return i }
        let i = Int32(ids.count)
        index[id] = i
        ids.append(id)
        return i
    }

    /// The index of `id`, or nil when it was never interned.
    @inlinable public func lookup(_ id: String) -> Int32? { index[id] }

    @inlinable public func id(of index: Int32) -> String { ids[Int(index)] }

    /// The index of `id`, trying `hint` first: a comparison of ids instead of hashing one when
    /// the hint is right (as it is when it came from this interner).
    @inlinable public func row(of id: String, hint: Int32) -> Int32? {
        hint >= 0 && Int(hint) < ids.count && ids[Int(hint)] == id ? hint : index[id]
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            try self.init(ids: try container.decode([String].self))
        } catch let error as DataError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(ids)
    }

    public static func == (a: IDInterner, b: IDInterner) -> Bool { a.ids == b.ids }
}
