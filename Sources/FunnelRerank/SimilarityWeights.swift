/// How much each kind of likeness counts in the similarity the rerankers and the scattering of
/// a surface read (`[pipeline.similarity]`): shared category levels, the same author, shared
/// tags, alike text and alike item vectors. The similarity of two items is the weighted mean of
/// the parts, each within [0, 1]; a part with weight 0 is not built.
public struct SimilarityWeights: Codable, Sendable, Equatable {
    /// Jaccard overlap of the category levels (`games`, `games/puzzle`).
    public var category = 1.0
    /// 1 for two items of one author.
    public var author = 0.0
    /// Jaccard overlap of the tags.
    public var tags = 0.0
    /// Cosine of the items' TF-IDF vectors over hashed words and word pairs of their text
    /// (character pairs in scripts written without spaces).
    public var text = 0.0
    /// Cosine of the items' vectors, negative cosines counted as 0.
    public var vector = 0.0
    /// Whose item vectors: `content` (each item's stored `contentVector`) or `two-tower` (the
    /// trained item tower's, once a two-tower model is trained).
    public var vectors = Source.content

    public enum Source: String, Codable, Sendable, CaseIterable {
        case content
        case twoTower = "two-tower"
    }

    public init(category: Double = 1, author: Double = 0, tags: Double = 0, text: Double = 0, vector: Double = 0, vectors: Source = .content) {
        (self.category, self.author, self.tags, self.text, self.vector, self.vectors) = (category, author, tags, text, vector, vectors)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SimilarityWeights()
        category = try c.decodeIfPresent(Double.self, forKey: .category) ?? d.category
        author = try c.decodeIfPresent(Double.self, forKey: .author) ?? d.author
        tags = try c.decodeIfPresent(Double.self, forKey: .tags) ?? d.tags
        text = try c.decodeIfPresent(Double.self, forKey: .text) ?? d.text
        vector = try c.decodeIfPresent(Double.self, forKey: .vector) ?? d.vector
        let source = try c.decodeIfPresent(String.self, forKey: .vectors) ?? d.vectors.rawValue
        guard let vectors = Source(rawValue: source) else {
            throw DecodingError.dataCorruptedError(forKey: .vectors, in: c, debugDescription:
                "unknown source of vectors '\(source)'; the sources are \(Source.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.vectors = vectors
    }

    /// The parts by name with their weights, in a fixed order.
    public var parts: [(name: String, weight: Double)] {
        [("category", category), ("author", author), ("tags", tags), ("text", text), ("vector", vector)]
    }

    /// The reason these weights cannot be used, if any.
    public var problem: String? {
        if let bad = parts.first(where: { !$0.weight.isFinite || $0.weight < 0 }) { return "\(bad.name) must be a number of at least 0" }
        if parts.allSatisfy({ $0.weight == 0 }) { return "needs a weight above 0 for at least one of category, author, tags, text, vector" }
        return nil
    }
}
