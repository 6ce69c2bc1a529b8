import Foundation

/// Reads a delimited text file row by row and maps each row's fields to records.
///
/// Fields are split on a separator string (`\t`, `|`, `::`, whitespace runs), or parsed as CSV
/// (RFC 4180: quoted fields may hold separators, doubled quotes and line breaks).
public struct RowReader: ImportReader {
    public enum Fields: Sendable {
        case separator(String)
        case whitespace
        case csv(delimiter: Character)
    }

    /// Turns one row's fields into records; throws `RowError` to reject the row.
    public typealias Mapper = (_ fields: [Substring], _ line: Int) throws -> [ImportRecord]

    public let file: String
    let fields: Fields
    var lines: LineReader.Lines
    let mapper: Mapper
    /// When true the first row is a header: it is handed to `header` and not mapped.
    var expectsHeader: Bool
    let header: ((_ fields: [Substring]) throws -> Void)?

    public init(url: URL, encoding: LineReader.Encoding = .utf8, fields: Fields,
                header: ((_ fields: [Substring]) throws -> Void)? = nil, mapper: @escaping Mapper) throws {
        file = url.path
        self.fields = fields
        lines = try LineReader(url: url, encoding: encoding).open()
        self.mapper = mapper
        expectsHeader = header != nil
        self.header = header
    }

    public mutating func next() throws -> ImportRow? {
        while let (line, number) = lines.next() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let row: [Substring]
            switch fields {
            case .separator(let separator): row = Self.split(line, on: separator)
            case .whitespace: row = line.split(whereSeparator: \.isWhitespace)
            case .csv(let delimiter):
                switch CSVRow.parse(line, continuation: &lines, delimiter: delimiter) {
                case .success(let fields): row = fields
                case .failure(let problem): return .bad(DataError(file: file, line: number, problem.message))
                }
            }
            if expectsHeader {
                expectsHeader = false
                // A header that does not fit the mapping stops the whole import: no row could be read.
                do { try header?(row) } catch let error as RowError { throw DataError(file: file, line: number, error.message) }
                continue
            }
            do {
                return .records(try mapper(row, number), line: number)
            } catch let error as RowError {
                return .bad(DataError(file: file, line: number, error.message))
            } catch let error as ValidationError {
                return .bad(DataError(file: file, line: number, error.description))
            }
        }
        return nil
    }
}

extension RowReader {
    /// Splits on a separator, keeping empty fields; one-byte separators split the UTF-8 bytes
    /// directly, several times faster than comparing characters.
    static func split(_ line: String, on separator: String) -> [Substring] {
        guard separator.utf8.count == 1, let byte = separator.utf8.first, byte < 0x80 else {
            return line.split(separator: separator, omittingEmptySubsequences: false)
        }
        return line.utf8.split(separator: byte, omittingEmptySubsequences: false).map { Substring($0) }
    }
}

/// Why a row was rejected.
public struct RowError: Error, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// RFC 4180 parsing of one CSV record, which may continue over several lines inside quotes.
enum CSVRow {
    static func parse(_ first: String, continuation lines: inout LineReader.Lines, delimiter: Character) -> Result<[Substring], RowError> {
        // Most rows quote nothing: split them directly.
        if !first.utf8.contains(UInt8(ascii: "\"")) { return .success(RowReader.split(first, on: String(delimiter))) }
        var fields: [Substring] = []
        var text = first
        var field = ""
        var inQuotes = false, wasQuoted = false
        var index = text.startIndex
        while true {
            if index == text.endIndex {
                if inQuotes {
                    // A quoted field continues on the next line.
                    guard let (next, _) = lines.next() else { return .failure(RowError("a quoted field is not closed before the end of the file")) }
                    field.append("\n")
                    text = next
                    index = text.startIndex
                    continue
                }
                fields.append(Substring(field))
                return .success(fields)
            }
            let c = text[index]
            index = text.index(after: index)
            if inQuotes {
                if c == "\"" {
                    if index < text.endIndex, text[index] == "\"" {
                        field.append("\"")
                        index = text.index(after: index)
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == delimiter {
                fields.append(Substring(field))
                field = ""
                wasQuoted = false
            } else if c == "\"", field.isEmpty, !wasQuoted {
                inQuotes = true
                wasQuoted = true
            } else if wasQuoted {
                return .failure(RowError("unexpected '\(c)' after a closing quote"))
            } else {
                field.append(c)
            }
        }
    }
}
