import Foundation

/// Turns import readers into validated batches for a store's bulk write, and keeps count.
///
/// By default the first bad row stops the import with an error naming its file and line (the
/// store then rolls the whole import back). With `skipBad` bad rows are counted, the first
/// `reportLimit` of them kept for the report, and the import goes on.
public final class Importer: RecordBatchSource {
    public struct Report: Sendable, Equatable {
        public var users = 0, items = 0, events = 0
        public var skipped = 0
        /// The first skipped rows, each naming file and line.
        public var skippedRows: [DataError] = []
    }

    public private(set) var report = Report()
    var readers: [any ImportReader]
    let batchSize: Int
    let skipBad: Bool
    let reportLimit: Int

    public init(readers: [any ImportReader], batchSize: Int = 10_000, skipBad: Bool = false, reportLimit: Int = 100) {
        self.readers = readers
        self.batchSize = batchSize
        self.skipBad = skipBad
        self.reportLimit = reportLimit
    }

    public func nextBatch() throws -> RecordBatch? {
        var batch = RecordBatch()
        while batch.count < batchSize, !readers.isEmpty {
            guard let row = try readers[0].next() else {
                readers.removeFirst()
                continue
            }
            switch row {
            case .bad(let problem):
                try skip(problem)
            case .records(let records, let line):
                do {
                    for record in records { try Self.validate(record) }
                    for record in records { batch.append(record) }
                } catch let error as ValidationError {
                    try skip(DataError(file: readers[0].file, line: line, error.description))
                }
            }
        }
        report.users += batch.users.count
        report.items += batch.items.count
        report.events += batch.events.count
        return batch.count == 0 ? nil : batch
    }

    private func skip(_ problem: DataError) throws {
        guard skipBad else { throw problem }
        report.skipped += 1
        if report.skippedRows.count < reportLimit { report.skippedRows.append(problem) }
    }

    static func validate(_ record: ImportRecord) throws {
        switch record {
        case .user(let user): try user.validate()
        case .item(let item): try item.validate()
        case .event(let event): try event.validate()
        }
    }
}
