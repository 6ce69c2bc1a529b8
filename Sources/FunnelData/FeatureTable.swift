/// Encoded features of a set of entities (users or items): a fixed number of one-hot fields
/// with global ids, and an optional multi-hot bag (tags, genres) per entity.
public struct FeatureTable: Sendable {
    public var fieldCount: Int
    /// `count × fieldCount` ids below `vocabularySize`.
    public var ids: [Int32]
    public var vocabularySize: Int
    /// Bag of entity e: `bagIDs[bagOffsets[e]..<bagOffsets[e + 1]]`, ids below `bagVocabularySize`.
    public var bagIDs: [Int32]
    public var bagOffsets: [Int32]
    public var bagVocabularySize: Int

    public init(fieldCount: Int, ids: [Int32], vocabularySize: Int, bags: [[Int32]] = [], bagVocabularySize: Int = 0) {
        self.fieldCount = fieldCount
        self.ids = ids
        self.vocabularySize = vocabularySize
        self.bagIDs = bags.flatMap { $0 }
        var offsets: [Int32] = [0]
        for bag in bags { offsets.append(offsets.last! + Int32(bag.count)) }
        self.bagOffsets = bags.isEmpty ? [] : offsets
        self.bagVocabularySize = bagVocabularySize
    }

    public var count: Int { fieldCount == 0 ? 0 : ids.count / fieldCount }
    public var hasBags: Bool { !bagOffsets.isEmpty }

    /// The features of the entities at `rows`, in order.
    public func batch(_ rows: some Collection<Int32>) -> Batch {
        var batchIDs = [Int32](), bagIDs = [Int32](), offsets: [Int32] = [0]
        batchIDs.reserveCapacity(rows.count * fieldCount)
        for r in rows {
            let e = Int(r)
            batchIDs.append(contentsOf: ids[(e * fieldCount)..<((e + 1) * fieldCount)])
            if hasBags {
                bagIDs.append(contentsOf: self.bagIDs[Int(bagOffsets[e])..<Int(bagOffsets[e + 1])])
                offsets.append(Int32(bagIDs.count))
            }
        }
        return Batch(count: rows.count, ids: batchIDs, bagIDs: bagIDs, bagOffsets: hasBags ? offsets : [])
    }

    /// Features of a batch of entities, in the layout the towers read.
    public struct Batch: Sendable {
        public var count: Int
        public var ids: [Int32]
        public var bagIDs: [Int32]
        public var bagOffsets: [Int32]

        /// The batch with only the bag values for which `keep(row, value)` holds.
        public func filteringBags(_ keep: (Int, Int32) -> Bool) -> Batch {
            guard !bagOffsets.isEmpty else { return self }
            var kept: [Int32] = [], offsets: [Int32] = [0]
            kept.reserveCapacity(bagIDs.count)
            for row in 0..<count {
                for value in bagIDs[Int(bagOffsets[row])..<Int(bagOffsets[row + 1])] where keep(row, value) { kept.append(value) }
                offsets.append(Int32(kept.count))
            }
            return Batch(count: count, ids: ids, bagIDs: kept, bagOffsets: offsets)
        }
    }
}

/// Assigns global ids to the values of several categorical fields: field f's values occupy
/// a contiguous range after the fields before it.
public struct FieldVocabulary: Sendable {
    public private(set) var fields: [[String: Int32]]
    public private(set) var size: Int32 = 0

    public init(fieldCount: Int) { fields = Array(repeating: [:], count: fieldCount) }

    /// The global id of `value` in `field`, assigned on first sight.
    public mutating func id(_ value: String, field: Int) -> Int32 {
        if let id = fields[field][value] { return id }
        fields[field][value] = size
        size += 1
        return size - 1
    }
}
