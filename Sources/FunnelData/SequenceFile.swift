import Foundation

/// SASRec-style sequence files: one `user item` pair per line (1-based integer ids, space
/// separated), lines in time order per user. Ids are interned to dense 0-based indices, and the
/// line order becomes the timestamp.
public struct SequenceFile: Sendable {
    public var interactions: [Interaction]
    public var userIDs: [String]
    public var itemIDs: [String]

    public var userCount: Int { userIDs.count }
    public var itemCount: Int { itemIDs.count }

    public static func read(_ url: URL) throws -> SequenceFile {
        var users: [String: Int32] = [:], items: [String: Int32] = [:]
        var userIDs: [String] = [], itemIDs: [String] = []
        var interactions: [Interaction] = []
        try LineReader(url: url).scan { line, number in
            let cols = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if cols.isEmpty { return }
            guard cols.count == 2 else {
                throw DataError(file: url.path, line: number, "expected 'user item', found \(cols.count) fields")
            }
            let u = String(cols[0]), i = String(cols[1])
            guard u.utf8.count <= 256, i.utf8.count <= 256 else { throw DataError(file: url.path, line: number, "id longer than 256 bytes") }
            let user = users[u] ?? { let id = Int32(userIDs.count); users[u] = id; userIDs.append(u); return id }()
            let item = items[i] ?? { let id = Int32(itemIDs.count); items[i] = id; itemIDs.append(i); return id }()
            interactions.append(Interaction(user: user, item: item, timestamp: Int64(number)))
        }
        guard !interactions.isEmpty else { throw DataError(file: url.path, "no interactions") }
        return SequenceFile(interactions: interactions, userIDs: userIDs, itemIDs: itemIDs)
    }
}
