/// The lists besides the feed that the server shows and that can be reranked for diversity,
/// each with its `[pipeline.surfaces.<name>]` table: items like one item, the popular items
/// and the latest ones.
public enum Surface: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable {
    case similar, popular, latest
}
