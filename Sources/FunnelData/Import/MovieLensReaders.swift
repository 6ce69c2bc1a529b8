import Foundation

/// Import readers for the MovieLens releases: users (where the release has them), movies with
/// their genres as categories, and ratings as `rating` events whose value is the score.
///
/// - 100K: `u.user`, `u.item` (Latin-1, genre flags named by `u.genre`), `u.data` (tab-separated).
/// - 1M: `users.dat`, `movies.dat` (Latin-1), `ratings.dat`, all `::`-separated.
/// - Latest (`ml-latest`, `ml-25m`, …): `movies.csv` and `ratings.csv` (CSV with a header); no users.
public enum MovieLensReaders {
    public enum Release: String, Sendable { case ml100k = "100k", ml1m = "1m", latest }

    /// Which release `directory` holds, from the files in it.
    public static func detect(_ directory: URL) throws -> Release {
        let exists = { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        if exists("u.data") { return .ml100k }
        if exists("ratings.dat") { return .ml1m }
        if exists("ratings.csv") { return .latest }
        throw DataError(file: directory.path, "no MovieLens ratings here (expected u.data, ratings.dat or ratings.csv)")
    }

    /// Readers in write order: users, items, ratings.
    public static func readers(_ directory: URL) throws -> [any ImportReader] {
        let file = { directory.appendingPathComponent($0) }
        switch try detect(directory) {
        case .ml100k:
            let genreNames = try genres(directory)
            return [
                try RowReader(url: file("u.user"), fields: .separator("|")) { f, _ in
                    guard f.count == 5 else { throw RowError("expected id|age|gender|occupation|zip, found \(f.count) fields") }
                    return [.user(try user(id: f[0], gender: f[2], age: f[1], occupation: f[3], zip: f[4]))]
                },
                try RowReader(url: file("u.item"), encoding: .latin1, fields: .separator("|")) { f, _ in
                    guard f.count == 5 + genreNames.count else { throw RowError("expected \(5 + genreNames.count) fields, found \(f.count)") }
                    let categories = zip(genreNames, f[5...]).compactMap { $1 == "1" ? $0 : nil }
                    return [.item(Item(id: String(f[0]), categories: categories, text: String(f[1])))]
                },
                try RowReader(url: file("u.data"), fields: .separator("\t"), mapper: rating),
            ]
        case .ml1m:
            return [
                try RowReader(url: file("users.dat"), fields: .separator("::")) { f, _ in
                    guard f.count == 5 else { throw RowError("expected UserID::Gender::Age::Occupation::Zip-code, found \(f.count) fields") }
                    return [.user(try user(id: f[0], gender: f[1], age: f[2], occupation: f[3], zip: f[4]))]
                },
                try RowReader(url: file("movies.dat"), encoding: .latin1, fields: .separator("::")) { f, _ in
                    guard f.count == 3 else { throw RowError("expected MovieID::Title::Genres, found \(f.count) fields") }
                    return [movie(id: f[0], title: f[1], genres: f[2])]
                },
                try RowReader(url: file("ratings.dat"), fields: .separator("::"), mapper: rating),
            ]
        case .latest:
            var readers: [any ImportReader] = []
            if FileManager.default.fileExists(atPath: file("movies.csv").path) {
                readers.append(try RowReader(url: file("movies.csv"), fields: .csv(delimiter: ","), header: expectHeader(["movieId", "title", "genres"])) { f, _ in
                    guard f.count == 3 else { throw RowError("expected movieId,title,genres, found \(f.count) fields") }
                    return [movie(id: f[0], title: f[1], genres: f[2])]
                })
            }
            readers.append(try RowReader(url: file("ratings.csv"), fields: .separator(","),
                                         header: expectHeader(["userId", "movieId", "rating", "timestamp"]), mapper: rating))
            return readers
        }
    }

    /// The 100K release's genre names (`u.genre`), in the order of `u.item`'s genre flags.
    public static func genres(_ directory: URL) throws -> [String] {
        var genres: [String] = []
        try LineReader(url: directory.appendingPathComponent("u.genre")).scan { line, _ in
            let cols = line.split(separator: "|")
            if cols.count == 2 { genres.append(String(cols[0])) }
        }
        return genres
    }

    static func expectHeader(_ names: [String]) -> ([Substring]) throws -> Void {
        { header in
            guard header.map({ $0.trimmingCharacters(in: .whitespaces) }) == names else {
                throw RowError("expected the header \(names.joined(separator: ",")), found \(header.joined(separator: ","))")
            }
        }
    }

    static func user(id: Substring, gender: Substring, age: Substring, occupation: Substring, zip: Substring) throws -> User {
        guard let age = Double(age) else { throw RowError("age '\(age)' is not a number") }
        return User(id: String(id), categorical: ["gender": String(gender), "occupation": String(occupation), "zip": String(zip)],
                    numeric: ["age": age])
    }

    static func movie(id: Substring, title: Substring, genres: Substring) -> ImportRecord {
        let categories = genres.split(separator: "|").map(String.init).filter { $0 != "(no genres listed)" }
        return .item(Item(id: String(id), categories: categories, text: String(title)))
    }

    /// `user, movie, score, unix time` in any of the releases' separators.
    static func rating(_ f: [Substring], _ line: Int) throws -> [ImportRecord] {
        guard f.count == 4 else { throw RowError("expected user, movie, rating and timestamp, found \(f.count) fields") }
        guard let score = Double(f[2]) else { throw RowError("rating '\(f[2])' is not a number") }
        guard let time = Double(f[3]) else { throw RowError("timestamp '\(f[3])' is not a number") }
        return [.event(Event(userID: String(f[0]), itemID: String(f[1]), type: .rating, timestamp: Date(timeIntervalSince1970: time), value: score))]
    }
}
