import Foundation

/// MovieLens-100K (GroupLens): 100,000 ratings of 1,682 movies by 943 users, with user
/// demographics and movie genres. Ids are interned to dense 0-based indices.
public struct MovieLens100K: Sendable {
    public struct Rating: Sendable, Hashable {
        public var user: Int32
        public var item: Int32
        public var rating: Float
        public var timestamp: Int64
    }

    public struct User: Sendable, Hashable {
        public var age: Int
        public var gender: String
        public var occupation: String
        public var zipCode: String
    }

    public struct Item: Sendable, Hashable {
        public var title: String
        /// Indices into `genreNames`.
        public var genres: [Int32]
    }

    public var ratings: [Rating]
    public var users: [User]
    public var items: [Item]
    public var genreNames: [String]
    /// Raw GroupLens ids of the interned users and items.
    public var userIDs: [String]
    public var itemIDs: [String]

    public static func load(from directory: URL) throws -> MovieLens100K {
        var genreNames: [String] = []
        try LineReader(url: directory.appendingPathComponent("u.genre")).scan { line, _ in
            let cols = line.split(separator: "|")
            if cols.count == 2 { genreNames.append(String(cols[0])) }
        }
        var userIndex: [String: Int32] = [:], users: [User] = [], userIDs: [String] = []
        let userFile = directory.appendingPathComponent("u.user")
        try LineReader(url: userFile).scan { line, number in
            guard !line.isEmpty else { return }
            let cols = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cols.count == 5, let age = Int(cols[1]) else {
                throw DataError(file: userFile.path, line: number, "expected user|age|gender|occupation|zip")
            }
            userIndex[String(cols[0])] = Int32(users.count)
            userIDs.append(String(cols[0]))
            users.append(User(age: age, gender: String(cols[2]), occupation: String(cols[3]), zipCode: String(cols[4])))
        }
        var itemIndex: [String: Int32] = [:], items: [Item] = [], itemIDs: [String] = []
        let itemFile = directory.appendingPathComponent("u.item")
        // u.item is Latin-1.
        guard let itemText = String(data: try Data(contentsOf: itemFile), encoding: .isoLatin1) else {
            throw DataError(file: itemFile.path, "not Latin-1 text")
        }
        for (offset, line) in itemText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let cols = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cols.count == 5 + genreNames.count else {
                throw DataError(file: itemFile.path, line: offset + 1, "expected \(5 + genreNames.count) fields, found \(cols.count)")
            }
            let genres = cols[5...].enumerated().compactMap { $0.element == "1" ? Int32($0.offset) : nil }
            itemIndex[String(cols[0])] = Int32(items.count)
            itemIDs.append(String(cols[0]))
            items.append(Item(title: String(cols[1]), genres: genres))
        }
        var ratings: [Rating] = []
        let ratingFile = directory.appendingPathComponent("u.data")
        try LineReader(url: ratingFile).scan { line, number in
            guard !line.isEmpty else { return }
            let cols = line.split(separator: "\t")
            guard cols.count == 4, let rating = Float(cols[2]), let time = Int64(cols[3]) else {
                throw DataError(file: ratingFile.path, line: number, "expected user, item, rating and timestamp separated by tabs")
            }
            guard let user = userIndex[String(cols[0])] else { throw DataError(file: ratingFile.path, line: number, "unknown user \(cols[0])") }
            guard let item = itemIndex[String(cols[1])] else { throw DataError(file: ratingFile.path, line: number, "unknown item \(cols[1])") }
            ratings.append(Rating(user: user, item: item, rating: rating, timestamp: time))
        }
        return MovieLens100K(ratings: ratings, users: users, items: items, genreNames: genreNames, userIDs: userIDs, itemIDs: itemIDs)
    }
}
