import ArgumentParser
import Foundation
import FunnelData
import FunnelStore

/// Loads users, items and events from files into a store, streaming, in one transaction.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import users, items and events into a store (all or nothing unless --skip-bad).",
        discussion: """
            Formats:
              movielens <dir>   MovieLens 100K (u.data, u.user, u.item), 1M (*.dat) or latest (ratings.csv, movies.csv)
              sequences <file>  SASRec-style 'user item' lines, in time order per user, as clicks
              libfm <file>      one-hot rows (label id:1 …) as exposures, plus clicks where the label is positive
              csv <file>        a CSV file with a header, mapped with --kind and --column
              jsonl <file>      JSON objects, one per line, mapped with --kind and --column

            Example: funnel import csv events.csv --kind events --column user=uid --column item=post \\
                       --column timestamp=ts --event-type click
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case movielens, sequences, libfm, csv, jsonl }

    @Argument(help: "Input format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format

    @Argument(help: "The file (or MovieLens directory) to import.")
    var path: String

    @Option(help: "The store: a SQLite file path or a postgres:// URL.")
    var store: String = StoreLocation.defaultPath

    @Flag(help: "Skip rows that cannot be read or break a rule, and report them, instead of stopping.")
    var skipBad = false

    @Option(help: "Records per write.")
    var batch: Int = 10_000

    @Option(help: "csv/jsonl: what the rows are: users, items or events.")
    var kind: ColumnMapping.Kind?

    @Option(name: .customLong("column"), help: "csv/jsonl: field=column, repeated (fields: \(Self.fieldList)).")
    var columns: [String] = []

    @Option(help: "csv/jsonl: the type of every event, when no column holds it.")
    var eventType: EventType?

    @Option(help: "csv/jsonl: how times are written: unix, unix-ms or iso8601.")
    var timeFormat: ColumnMapping.TimeFormat = .unixSeconds

    @Option(help: "csv: the field delimiter.")
    var delimiter: String = ","

    @Option(parsing: .upToNextOption, help: "csv/jsonl: columns to keep as numeric features (users, items).")
    var numeric: [String] = []

    @Option(parsing: .upToNextOption, help: "csv/jsonl: columns to keep as categorical features (users).")
    var categorical: [String] = []

    @Option(help: "libfm: position of the user field among the features.")
    var userField: Int = 0

    @Option(help: "libfm: position of the item field among the features.")
    var itemField: Int = 1

    static var fieldList: String {
        ColumnMapping.Kind.allCases.map { "\($0.rawValue): \(ColumnMapping.fields[$0]!.joined(separator: ","))" }.joined(separator: "; ")
    }

    func validate() throws {
        try validateBatchOption(batch)
        guard delimiter.count == 1 else { throw ValidationError("--delimiter must be one character, got '\(delimiter)'") }
        if format == .csv || format == .jsonl {
            guard kind != nil else { throw ValidationError("\(format.rawValue) needs --kind users|items|events") }
            _ = try mapping()
        }
    }

    func mapping() throws -> ColumnMapping {
        var pairs: [String: String] = [:]
        for entry in columns {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--column '\(entry)' is not of the form field=column")
            }
            pairs[parts[0]] = parts[1]
        }
        var mapping = ColumnMapping(kind: kind ?? .events, columns: pairs, eventType: eventType)
        mapping.timeFormat = timeFormat
        mapping.numericColumns = numeric
        mapping.categoricalColumns = categorical
        do { try mapping.validate() } catch let error as RowError { throw ValidationError(error.message) }
        return mapping
    }

    func readers() throws -> [any ImportReader] {
        let url = URL(fileURLWithPath: path)
        switch format {
        case .movielens: return try MovieLensReaders.readers(url)
        case .sequences: return [try RowReader.sequences(url)]
        case .libfm: return [try RowReader.libfm(url, userField: userField, itemField: itemField)]
        case .csv: return [try RowReader.csv(url, mapping: try mapping(), delimiter: delimiter.first!)]
        case .jsonl: return [try JSONLinesReader(url: url, mapping: try mapping())]
        }
    }

    func run() async throws {
        let start = Date()
        let importer = Importer(readers: try readers(), batchSize: batch, skipBad: skipBad)
        let target = try await StoreLocation.open(store)
        do {
            try await target.writeAll(CountedSource(importer, progress: Progress(label: "importing")))
        } catch {
            FileHandle.standardError.write(Data("import failed; nothing was stored: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let r = importer.report, seconds = Date().timeIntervalSince(start)
        print("imported \(r.users) users, \(r.items) items and \(r.events) events into \(store) in \(String(format: "%.2f", seconds)) s"
              + String(format: " (%.0f records/s)", Double(r.users + r.items + r.events) / max(seconds, 1e-9)))
        if r.skipped > 0 {
            print("skipped \(r.skipped) bad rows\(r.skipped > r.skippedRows.count ? "; the first \(r.skippedRows.count):" : ":")")
            for row in r.skippedRows { print("  \(row)") }
        }
    }
}

extension ColumnMapping.Kind: ExpressibleByArgument {}
extension ColumnMapping.TimeFormat: ExpressibleByArgument {}
extension EventType: ExpressibleByArgument {}
