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

    /// Reads the file with the import reader (`RowReader.sequences`), interning ids in file order.
    public static func read(_ url: URL) throws -> SequenceFile {
        var reader = try RowReader.sequences(url)
        var users = IDInterner(), items = IDInterner()
        var interactions: [Interaction] = []
        while let row = try reader.next() {
            switch row {
            case .bad(let problem): throw problem
            case .records(let records, let line):
                for case .event(let event) in records {
                    do { try event.validate() } catch let error as ValidationError { throw DataError(file: url.path, line: line, error.description) }
                    interactions.append(Interaction(user: users.intern(event.userID), item: items.intern(event.itemID), timestamp: Int64(line)))
                }
            }
        }
        guard !interactions.isEmpty else { throw DataError(file: url.path, "no interactions") }
        return SequenceFile(interactions: interactions, userIDs: users.ids, itemIDs: items.ids)
    }
}
