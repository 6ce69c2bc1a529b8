import Foundation

extension RowReader {
    /// A CSV (or other delimited) file with a header row, mapped by column name.
    public static func csv(_ url: URL, mapping: ColumnMapping, delimiter: Character = ",") throws -> RowReader {
        try mapping.validate()
        nonisolated(unsafe) var positions: [String: Int] = [:]
        return try RowReader(url: url, fields: .csv(delimiter: delimiter), header: { header in
            for (k, name) in header.enumerated() { positions[name.trimmingCharacters(in: .whitespaces)] = k }
            let missing = Set(mapping.sourceColumns).filter { positions[$0] == nil }.sorted()
            guard missing.isEmpty else {
                throw RowError("the header has no column \(missing.map { "'\($0)'" }.joined(separator: ", ")); it has \(header.joined(separator: ", "))")
            }
        }, mapper: { fields, _ in
            guard fields.count == positions.count else { throw RowError("\(fields.count) fields where the header has \(positions.count)") }
            return [try mapping.record { column in
                let s = fields[positions[column]!]
                return s.isEmpty ? nil : .text(String(s))
            }]
        })
    }
}

/// A JSON Lines file: one JSON object per line, mapped by key.
public struct JSONLinesReader: ImportReader {
    public let file: String
    let mapping: ColumnMapping
    var lines: LineReader.Lines

    public init(url: URL, mapping: ColumnMapping) throws {
        try mapping.validate()
        file = url.path
        self.mapping = mapping
        lines = try LineReader(url: url).open()
    }

    public mutating func next() throws -> ImportRow? {
        while let (line, number) = lines.next() {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return .bad(DataError(file: file, line: number, "not a JSON object"))
            }
            do {
                return .records([try mapping.record { key in Self.value(object[key]) }], line: number)
            } catch let error as RowError {
                return .bad(DataError(file: file, line: number, error.message))
            }
        }
        return nil
    }

    static func value(_ any: Any?) -> ColumnMapping.Value? {
        switch any {
        case nil, is NSNull: return nil
        case let s as String: return s.isEmpty ? nil : .text(s)
        // JSON true/false arrive as the numbers 1 and 0.
        case let n as NSNumber: return .text(n.stringValue)
        case let a as [Any]: return .list(a.compactMap { element in
            if case .text(let s)? = value(element) { return s } else { return nil }
        })
        default: return .text(String(describing: any!))
        }
    }
}
