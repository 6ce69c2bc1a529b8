import Foundation
import FunnelExperiments
import FunnelPipeline
import TOMLKit

/// `funnel.toml`: the `[server]` and `[pipeline]` tables, every key optional (keys as in the
/// API's JSON, camelCase). An unknown key, a wrong type or a value out of range is an error that
/// names it, so a typo never passes silently as a default.
///
/// ```toml
/// [server]
/// port = 8080
/// apiKeys = ["…"]
///
/// [pipeline]
/// ranker = "logistic-regression"
/// defaultQuota = 100
/// mmrLambda = 0.7
/// [pipeline.quotas]
/// latest = 0        # turns the channel off
/// ```
public struct ConfigurationFile: Decodable, Sendable {
    public struct Server: Decodable, Sendable {
        public var host: String?
        public var port: Int?
        public var apiKeys: [String]?
        public var readsNeedKey: Bool?
        public var maximumBatch: Int?
        public var maximumBodyBytes: Int?
        public var reloadCheckSeconds: Double?
        public var rebuildEverySeconds: Double?
        public var exposureSaveSeconds: Double?
        public var exposureRefreshSeconds: Double?

        public init() {}
    }

    public var server: Server?
    public var pipeline: PipelineConfiguration?
    public var experiments: ExperimentsTable?

    /// Reads and checks a file.
    public static func load(_ url: URL) throws -> ConfigurationFile {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PipelineError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        return try parse(text, source: url.path)
    }

    /// The `[pipeline]` table of the file at `path`, or the defaults when there is no file.
    public static func pipeline(at path: String?) throws -> PipelineConfiguration {
        try path.map { try load(URL(fileURLWithPath: $0)).pipeline ?? PipelineConfiguration() } ?? PipelineConfiguration()
    }

    /// Parses and checks TOML text; `source` names it in errors.
    public static func parse(_ text: String, source: String = "configuration") throws -> ConfigurationFile {
        let file: ConfigurationFile
        do {
            file = try decode(TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw PipelineError("\(source):\(error.source.begin.line):\(error.source.begin.column): not TOML: \(error.description)")
        } catch let error as UnexpectedKeysError {
            let paths = error.keys.values.map { $0.map(\.stringValue) }
            let keys = paths.map { $0.joined(separator: ".") }.sorted()
            var hint = ""
            if paths.contains(where: { $0.count >= 6 && $0[0] == "experiments" && $0[2] == "arms" && $0[4] == "pipeline" }) {
                hint = "; an arm's pipeline sets these keys only: \(PipelineOverrides.keys.joined(separator: ", ")) (what needs another build or model is the same for every arm)"
            } else if paths.contains(where: { $0.count == 5 && $0[0] == "experiments" && $0[2] == "arms" }) {
                hint = "; an arm takes share and pipeline"
            } else if paths.contains(where: { $0.count == 3 && $0[0] == "experiments" }) {
                hint = "; an experiment takes layer, traffic, offset, launched, reverse, start, days and arms"
            }
            throw PipelineError("\(source): unknown key\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", "))\(hint)")
        } catch let error as DecodingError {
            throw PipelineError("\(source): \(describe(error))")
        } catch let error as PipelineError {
            throw PipelineError("\(source): \(error)")
        }
        do { try file.pipeline?.validate() } catch { throw PipelineError("\(source): \(error)") }
        do { _ = try file.experimentPlan() } catch { throw PipelineError("\(source): \(error)") }
        if let port = file.server?.port, !(0...65_535).contains(port) { throw PipelineError("\(source): server.port must be 0…65535, got \(port)") }
        for (name, value) in [("maximumBatch", file.server?.maximumBatch), ("maximumBodyBytes", file.server?.maximumBodyBytes)] {
            if let value, value < 1 { throw PipelineError("\(source): server.\(name) must be positive, got \(value)") }
        }
        for (name, value) in [("reloadCheckSeconds", file.server?.reloadCheckSeconds), ("rebuildEverySeconds", file.server?.rebuildEverySeconds),
                              ("exposureSaveSeconds", file.server?.exposureSaveSeconds), ("exposureRefreshSeconds", file.server?.exposureRefreshSeconds)] {
            if let value, !(value >= 0 && value.isFinite) { throw PipelineError("\(source): server.\(name) must be 0 or more seconds, got \(value)") }
        }
        return file
    }

    /// The experiments the file configures (none without an `[experiments]` table), checked
    /// against its `[pipeline]`.
    public func experimentPlan() throws -> (plan: ExperimentPlan, overrides: [String: [String: PipelineOverrides]]) {
        try experiments?.plan(over: pipeline ?? PipelineConfiguration()) ?? (.none, [:])
    }

    /// The server's settings: this file's over the defaults.
    public func apply(to configuration: inout ServerConfiguration) {
        guard let server else { return }
        if let host = server.host { configuration.host = host }
        if let port = server.port { configuration.port = port }
        if let keys = server.apiKeys { configuration.apiKeys.formUnion(keys) }
        if let reads = server.readsNeedKey { configuration.readsNeedKey = reads }
        if let batch = server.maximumBatch { configuration.maximumBatch = batch }
        if let bytes = server.maximumBodyBytes { configuration.maximumBodyBytes = bytes }
        if let seconds = server.reloadCheckSeconds { configuration.reloadCheckSeconds = seconds }
        if let seconds = server.rebuildEverySeconds { configuration.rebuildEverySeconds = seconds }
        if let seconds = server.exposureSaveSeconds { configuration.exposureSaveSeconds = seconds }
        if let seconds = server.exposureRefreshSeconds { configuration.exposureRefreshSeconds = seconds }
    }

    /// Decodes the file, reading a whole number where a key takes a fractional one (`= 1` for
    /// `= 1.0`): TOML keeps the two apart, and TOMLKit would refuse the integer.
    private static func decode(_ table: TOMLTable) throws -> ConfigurationFile {
        var widened = Set<[String]>()
        while true {
            do {
                return try TOMLDecoder(strictDecoding: true).decode(ConfigurationFile.self, from: table)
            } catch let error as DecodingError {
                let keys: [any CodingKey]
                switch error {
                case .keyNotFound(let key, let context):
                    keys = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
                case .typeMismatch(_, let context):
                    keys = context.codingPath
                default:
                    throw error
                }
                // Widened once: a key that still does not decode has some other wrong type.
                guard widened.insert(keys.map(\.stringValue)).inserted, widenInteger(at: keys, in: table) else { throw error }
            }
        }
    }

    /// Replaces the integer at `keys` (table keys and array indices) by the same `Double`.
    private static func widenInteger(at keys: [any CodingKey], in table: TOMLTable) -> Bool {
        guard let last = keys.last else { return false }
        var value: any TOMLValueConvertible = table
        for key in keys.dropLast() {
            let next: (any TOMLValueConvertible)?
            if let i = key.intValue, let array = value.array {
                next = i < array.count ? array[i] as any TOMLValueConvertible : nil
            } else {
                next = value.table?[key.stringValue]
            }
            guard let next else { return false }
            value = next
        }
        if let i = last.intValue, let array = value.array, i < array.count, let n = (array[i] as any TOMLValueConvertible).int {
            array[i] = Double(n)
            return true
        }
        if let container = value.table, let n = container[last.stringValue]?.int {
            container[last.stringValue] = Double(n)
            return true
        }
        return false
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(type == String.self ? "a string" : type == Bool.self ? "true or false" : "a \(type)".lowercased())"
        case .keyNotFound(let key, let context):
            // Every key here is optional: TOMLKit reports a present key of the wrong type this way.
            let keys = context.codingPath.last?.stringValue == key.stringValue ? context.codingPath : context.codingPath + [key]
            return "\(path(keys)) has the wrong type"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
