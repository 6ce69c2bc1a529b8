import Foundation
import FunnelData

/// What the two towers of a feed's two-tower model read, and the vocabularies that encode it.
///
/// - The user tower: the user's id (one field; row 0 for a user unknown at training) and a bag
///   of the items of their last `historyLength` positive actions, so that the vector follows
///   the user's latest actions at request time and a newcomer with a few clicks has one.
/// - The item tower: the item's id, first category and author (three fields; row 0 of each for
///   values unknown at training), so that an item added since still gets a vector from its
///   category and author.
public struct TwoTowerFeatures: Codable, Sendable, Equatable {
    public let users: [String]
    public let items: [String]
    public let categories: [String]
    public let authors: [String]
    public var historyLength: Int
    private var userRows: [String: Int32] = [:]
    private var itemRows: [String: Int32] = [:]
    private var categoryRows: [String: Int32] = [:]
    private var authorRows: [String: Int32] = [:]

    enum CodingKeys: String, CodingKey { case users, items, categories, authors, historyLength }

    public init(users: [String], items: [String], categories: [String], authors: [String], historyLength: Int = 20) {
        self.users = users
        self.items = items
        self.categories = categories
        self.authors = authors
        self.historyLength = historyLength
        index()
    }

    /// The vocabularies of everyone and everything in `items` and `events`, sorted.
    public init(items: [Item], events: [Event], historyLength: Int = 20) {
        self.init(users: Set(events.map(\.userID)).sorted(), items: items.map(\.id).sorted(),
                  categories: Set(items.compactMap(\.categories.first)).sorted(), authors: Set(items.compactMap(\.authorID)).sorted(),
                  historyLength: historyLength)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(users: c.decode([String].self, forKey: .users), items: c.decode([String].self, forKey: .items),
                      categories: c.decode([String].self, forKey: .categories), authors: c.decode([String].self, forKey: .authors),
                      historyLength: c.decode(Int.self, forKey: .historyLength))
    }

    private mutating func index() {
        func rows(_ values: [String]) -> [String: Int32] {
            Dictionary(values.enumerated().map { ($1, Int32($0 + 1)) }, uniquingKeysWith: { first, _ in first })
        }
        (userRows, itemRows, categoryRows, authorRows) = (rows(users), rows(items), rows(categories), rows(authors))
    }

    public static func == (a: TwoTowerFeatures, b: TwoTowerFeatures) -> Bool {
        (a.users, a.items, a.categories, a.authors, a.historyLength) == (b.users, b.items, b.categories, b.authors, b.historyLength)
    }

    public var userTower: Tower.Configuration {
        Tower.Configuration(fieldCount: 1, vocabularySize: users.count + 1, bagVocabularySize: items.count + 1)
    }

    public var itemTower: Tower.Configuration {
        Tower.Configuration(fieldCount: 3, vocabularySize: items.count + categories.count + authors.count + 3)
    }

    /// The user tower's rows: each user with the items of their history (newest first; only
    /// the first `historyLength` known items count).
    public func userTable(_ rows: [(user: String, history: [String])]) -> FeatureTable {
        FeatureTable(fieldCount: 1, ids: rows.map { userRows[$0.user] ?? 0 }, vocabularySize: users.count + 1,
                     bags: rows.map { Array($0.history.lazy.compactMap { itemRows[$0] }.prefix(historyLength)) },
                     bagVocabularySize: items.count + 1)
    }

    /// The item tower's rows: id, first category and author, each in its own range.
    public func itemTable(_ items: [Item]) -> FeatureTable {
        let categoryBase = Int32(self.items.count + 1), authorBase = categoryBase + Int32(categories.count + 1)
        var ids: [Int32] = []
        ids.reserveCapacity(3 * items.count)
        for item in items {
            ids.append(itemRows[item.id] ?? 0)
            ids.append(categoryBase + (item.categories.first.flatMap { categoryRows[$0] } ?? 0))
            ids.append(authorBase + (item.authorID.flatMap { authorRows[$0] } ?? 0))
        }
        return FeatureTable(fieldCount: 3, ids: ids, vocabularySize: Int(authorBase) + authors.count + 1)
    }

    /// Whether the user tower has anything to go on: a known user or a known item in the history.
    public func knows(user: String, history: [String]) -> Bool {
        userRows[user] != nil || history.contains { itemRows[$0] != nil }
    }
}
