import Foundation

/// UCI Adult (census, 48,842 people) as a two-task dataset, as the multi-task literature uses
/// census data (Ma et al., 2018): income above 50K, and never married. Marital status is a
/// label, so it is no feature; the other columns are: numerics as they are (capital gain and
/// loss and the sampling weight as log(1 + x), their scales being heavy-tailed), categories
/// one-hot, one column per value seen.
public struct Adult: Sendable {
    public static let numericColumns = ["age", "fnlwgt", "educational-num", "capital-gain", "capital-loss", "hours-per-week"]
    public static let categoricalColumns = ["workclass", "education", "occupation", "relationship", "race", "gender", "native-country"]
    static let logScaled: Set<String> = ["fnlwgt", "capital-gain", "capital-loss"]

    public var featureNames: [String]
    /// `count × featureNames.count` values, row-major, in the file's order.
    public var features: [Float]
    public var highIncome: [Float]
    public var neverMarried: [Float]

    public var count: Int { highIncome.count }
    public var width: Int { featureNames.count }

    /// Reads `adult.csv` (with its header) from `directory`.
    public static func load(from directory: URL) throws -> Adult {
        let url = directory.appendingPathComponent("adult.csv")
        var rows: [[Substring]] = []
        var columns: [String: Int] = [:]
        try LineReader(url: url).scan { line, number in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces)[...] }
            if number == 1 {
                columns = Dictionary(fields.enumerated().map { (String($1), $0) }, uniquingKeysWith: { first, _ in first })
                let missing = (numericColumns + categoricalColumns + ["marital-status", "income"]).filter { columns[$0] == nil }
                guard missing.isEmpty else { throw DataError(file: url.path, line: 1, "the header lacks \(missing.joined(separator: ", "))") }
                return
            }
            guard !line.isEmpty else { return }
            guard fields.count == columns.count else {
                throw DataError(file: url.path, line: number, "\(fields.count) fields where the header has \(columns.count)")
            }
            rows.append(fields)
        }
        var values: [String: [String]] = [:]
        for name in categoricalColumns { values[name] = Set(rows.map { String($0[columns[name]!]) }).sorted() }
        let featureNames = numericColumns + categoricalColumns.flatMap { name in values[name]!.map { "\(name)=\($0)" } }
        var offsets: [String: [String: Int]] = [:]
        var next = numericColumns.count
        for name in categoricalColumns {
            offsets[name] = Dictionary(uniqueKeysWithValues: values[name]!.enumerated().map { ($1, next + $0) })
            next += values[name]!.count
        }

        var features = [Float](repeating: 0, count: rows.count * featureNames.count)
        var highIncome: [Float] = [], neverMarried: [Float] = []
        for (r, fields) in rows.enumerated() {
            let base = r * featureNames.count
            for (j, name) in numericColumns.enumerated() {
                guard let x = Float(fields[columns[name]!]), x.isFinite else {
                    throw DataError(file: url.path, line: r + 2, "\(name) is '\(fields[columns[name]!])', not a number")
                }
                features[base + j] = logScaled.contains(name) ? log1p(max(0, x)) : x
            }
            for name in categoricalColumns { features[base + offsets[name]![String(fields[columns[name]!])]!] = 1 }
            // The test half of the original release writes ">50K." with a full stop.
            highIncome.append(fields[columns["income"]!].hasPrefix(">50K") ? 1 : 0)
            neverMarried.append(fields[columns["marital-status"]!] == "Never-married" ? 1 : 0)
        }
        return Adult(featureNames: featureNames, features: features, highIncome: highIncome, neverMarried: neverMarried)
    }
}
