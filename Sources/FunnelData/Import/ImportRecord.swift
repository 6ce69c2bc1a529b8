/// One record an import writes.
public enum ImportRecord: Sendable, Hashable {
    case user(User)
    case item(Item)
    case event(Event)
}

/// What an import reader yields per input row: the records it holds, or why it could not be read.
public enum ImportRow {
    case records([ImportRecord], line: Int)
    case bad(DataError)
}

/// A streaming reader of one input file. Problems with one row come back as `.bad` so the caller
/// can choose to stop or to skip; problems with the whole file (cannot open it) are thrown.
public protocol ImportReader {
    var file: String { get }
    mutating func next() throws -> ImportRow?
}

/// Records grouped for one write: users and items first, then events.
public struct RecordBatch: Sendable, Equatable {
    public var users: [User] = []
    public var items: [Item] = []
    public var events: [Event] = []

    public init(users: [User] = [], items: [Item] = [], events: [Event] = []) {
        self.users = users
        self.items = items
        self.events = events
    }

    public var count: Int { users.count + items.count + events.count }

    mutating func append(_ record: ImportRecord) {
        switch record {
        case .user(let user): users.append(user)
        case .item(let item): items.append(item)
        case .event(let event): events.append(event)
        }
    }
}

/// A stream of batches a store writes in one transaction (see `FunnelStore.BulkWriter`).
public protocol RecordBatchSource: AnyObject {
    func nextBatch() throws -> RecordBatch?
}
