import Foundation
import FunnelData

/// The interaction datasets the evaluation protocols run on, read from the datasets folder.
public enum EvaluationDataset: String, CaseIterable, Codable, Sendable {
    case movieLens100K = "ml-100k"
    case amazonGames = "amazon-games"

    /// Interactions in dense ids, with user and item counts.
    public func load(from root: URL) throws -> (interactions: [Interaction], userCount: Int, itemCount: Int) {
        switch self {
        case .movieLens100K:
            let data = try MovieLens100K.load(from: root.appendingPathComponent("ml-100k"))
            return (data.ratings.map { Interaction(user: $0.user, item: $0.item, timestamp: $0.timestamp) }, data.users.count, data.items.count)
        case .amazonGames:
            let file = try SequenceFile.read(root.appendingPathComponent("sasrec-amazon-games/Video.txt"))
            return (file.interactions, file.userCount, file.itemCount)
        }
    }

    /// Each item's content features as a bag (MovieLens genres), with the bag vocabulary's
    /// size; nil for a dataset of ids only.
    public func itemBags(from root: URL) throws -> (bags: [[Int32]], vocabularySize: Int)? {
        switch self {
        case .movieLens100K:
            let data = try MovieLens100K.load(from: root.appendingPathComponent("ml-100k"))
            return (data.items.map(\.genres), data.genreNames.count)
        case .amazonGames:
            return nil
        }
    }
}
