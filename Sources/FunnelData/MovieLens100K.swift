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

    /// Reads the release with the import readers (`MovieLensReaders`), interning ids in file order.
    public static func load(from directory: URL) throws -> MovieLens100K {
        guard try MovieLensReaders.detect(directory) == .ml100k else {
            throw DataError(file: directory.path, "not the MovieLens-100K release (no u.data)")
        }
        let genreNames = try MovieLensReaders.genres(directory)
        let genreIndex = Dictionary(uniqueKeysWithValues: genreNames.enumerated().map { ($1, Int32($0)) })
        var data = MovieLens100K(ratings: [], users: [], items: [], genreNames: genreNames, userIDs: [], itemIDs: [])
        var userIndex: [String: Int32] = [:], itemIndex: [String: Int32] = [:]
        for var reader in try MovieLensReaders.readers(directory) {
            while let row = try reader.next() {
                guard case .records(let records, let line) = row else {
                    if case .bad(let problem) = row { throw problem }
                    continue
                }
                for record in records {
                    switch record {
                    case .user(let u):
                        userIndex[u.id] = Int32(data.users.count)
                        data.userIDs.append(u.id)
                        data.users.append(User(age: Int(u.numeric["age"] ?? 0), gender: u.categorical["gender"] ?? "",
                                               occupation: u.categorical["occupation"] ?? "", zipCode: u.categorical["zip"] ?? ""))
                    case .item(let i):
                        itemIndex[i.id] = Int32(data.items.count)
                        data.itemIDs.append(i.id)
                        data.items.append(Item(title: i.text ?? "", genres: i.categories.compactMap { genreIndex[$0] }))
                    case .event(let e):
                        guard let user = userIndex[e.userID] else { throw DataError(file: reader.file, line: line, "unknown user \(e.userID)") }
                        guard let item = itemIndex[e.itemID] else { throw DataError(file: reader.file, line: line, "unknown item \(e.itemID)") }
                        data.ratings.append(Rating(user: user, item: item, rating: Float(e.value ?? 0),
                                                   timestamp: Int64(e.timestamp.timeIntervalSince1970)))
                    }
                }
            }
        }
        return data
    }
}
