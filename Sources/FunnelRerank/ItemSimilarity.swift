import FunnelData
import FunnelIndex

/// The likeness of two items of a catalogue, by rows, as the rerankers and their evaluation
/// read it: the weighted mean of the parts `SimilarityWeights` names (category levels, author,
/// tags, text, vectors), each within [0, 1], so the whole is too. Built once per catalogue; a
/// part of weight 0 keeps nothing. An item with nothing for a part (no tags, no text, no
/// vector) is like no other by that part.
///
/// Every part but the vector one is a Gram matrix of non-negative features (the Jaccard
/// overlap is positive semi-definite too), so the DPP's kernel over their mix stays positive
/// semi-definite; cosines of learnt vectors can be negative and count as 0, which can break
/// that, and then the DPP places by relevance once no candidate adds to its determinant.
public struct ItemSimilarity: Sendable {
    public let weights: SimilarityWeights
    /// The weights over their sum, in the order of `SimilarityWeights.parts`.
    let share: (category: Double, author: Double, tags: Double, text: Double, vector: Double)
    let levels: FlatLists
    let authors: [Int32]
    let tags: FlatLists
    let text: TextVectors?
    /// Unit vectors, `dimension` per row; `hasVector[row]` says which rows have one.
    let vectors: [Float]
    let hasVector: [Bool]
    let dimension: Int

    /// Per row, sorted integer ids of a list of strings (interned across the catalogue).
    struct FlatLists: Sendable {
        var offsets: [Int32] = [0]
        var values: [Int32] = []

        init() {}

        init(_ lists: some Sequence<[String]>) {
            var ids: [String: Int32] = [:]
            for list in lists {
                var own = Set<Int32>()
                for value in list {
                    let id = ids[value] ?? Int32(ids.count)
                    ids[value] = id
                    own.insert(id)
                }
                values += own.sorted()
                offsets.append(Int32(values.count))
            }
        }

        func jaccard(_ a: Int, _ b: Int) -> Double {
            values.withUnsafeBufferPointer { values in
                CategorySimilarity.jaccard(UnsafeBufferPointer(rebasing: values[Int(offsets[a])..<Int(offsets[a + 1])]),
                                           UnsafeBufferPointer(rebasing: values[Int(offsets[b])..<Int(offsets[b + 1])]))
            }
        }
    }

    /// `items`: per row, the item (nil for a row with none). `vector(row)`: the row's item vector
    /// when the weights use vectors (`vectors = "two-tower"`; with `content`, the items' own
    /// `contentVector`s are read). Vectors of another length than the first found are left out.
    public init(items: [Item?], weights: SimilarityWeights, vector: (Int) -> [Float]? = { _ in nil }) {
        precondition(weights.problem == nil, "similarity weights: \(weights.problem ?? "")")
        self.weights = weights
        let total = weights.parts.reduce(0) { $0 + $1.weight }
        share = (weights.category / total, weights.author / total, weights.tags / total, weights.text / total, weights.vector / total)
        levels = weights.category > 0 ? FlatLists(items.lazy.map { $0?.categoryLevels ?? [] }) : FlatLists()
        tags = weights.tags > 0 ? FlatLists(items.lazy.map { $0?.tags ?? [] }) : FlatLists()
        var authorIDs: [String: Int32] = [:]
        authors = weights.author == 0 ? [] : items.map { item in
            guard let author = item?.authorID else { return -1 }
            let id = authorIDs[author] ?? Int32(authorIDs.count)
            authorIDs[author] = id
            return id
        }
        text = weights.text > 0 ? TextVectors(items.map { $0?.text }) : nil
        var vectors: [Float] = [], hasVector: [Bool] = [], dimension = 0
        if weights.vector > 0 {
            hasVector.reserveCapacity(items.count)
            for row in items.indices {
                let found = weights.vectors == .content ? items[row]?.contentVector : vector(row)
                if dimension == 0, let found, !found.isEmpty { dimension = found.count }
                let norm = found.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() } ?? 0
                if let found, found.count == dimension, norm > 0, norm.isFinite {
                    vectors += found.map { $0 / norm }
                    hasVector.append(true)
                } else {
                    vectors += repeatElement(0, count: dimension)
                    hasVector.append(false)
                }
            }
        }
        (self.vectors, self.hasVector, self.dimension) = (vectors, hasVector, dimension)
    }

    /// How many rows have a vector (0 when the weights use none).
    public var rowsWithVectors: Int { hasVector.count(where: { $0 }) }

    /// The similarity of the items at rows `a` and `b`, within [0, 1]; 0 when either is
    /// negative (an item the catalogue did not have at build).
    public func callAsFunction(_ a: Int32, _ b: Int32) -> Double {
        guard a >= 0, b >= 0 else { return 0 }
        let (a, b) = (Int(a), Int(b))
        var sum = 0.0
        if share.category > 0 { sum += share.category * levels.jaccard(a, b) }
        if share.author > 0, authors[a] >= 0, authors[a] == authors[b] { sum += share.author }
        if share.tags > 0 { sum += share.tags * tags.jaccard(a, b) }
        if share.text > 0, let text { sum += share.text * text.cosine(a, b) }
        if share.vector > 0, hasVector[a], hasVector[b] { sum += share.vector * max(0, cosine(a, b)) }
        return min(1, sum)
    }

    /// The dot product of two unit vectors.
    func cosine(_ a: Int, _ b: Int) -> Double {
        vectors.withUnsafeBufferPointer { v in
            Double(VectorKernels.dot(v.baseAddress! + a * dimension, v.baseAddress! + b * dimension, dimension))
        }
    }
}
