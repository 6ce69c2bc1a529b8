import Foundation

/// The Frappe_x1 benchmark split (BARS): 10 one-hot fields over 5,382 feature ids.
public struct Frappe: Sendable {
    public static let fields = ["user", "item", "daytime", "weekday", "isweekend", "homework", "cost", "weather", "country", "city"]
    public static let vocabularySize = 5382

    public var train: FieldDataset
    public var validation: FieldDataset
    /// Feature id → (field, raw value), from `frappe.features.tsv` when present.
    public var features: [Int: (field: String, value: String)]
    /// Raw item value → app name, from `meta.csv` when present.
    public var appNames: [String: String]

    /// Loads the split from a folder holding `frappe.train.libfm` and `frappe.validation.libfm`.
    public static func load(from directory: URL) throws -> Frappe {
        let train = try LibFMReader.read(directory.appendingPathComponent("frappe.train.libfm"), vocabularySize: vocabularySize)
        let validation = try LibFMReader.read(directory.appendingPathComponent("frappe.validation.libfm"), vocabularySize: vocabularySize)
        var features: [Int: (String, String)] = [:]
        let featureFile = directory.appendingPathComponent("frappe.features.tsv")
        if FileManager.default.fileExists(atPath: featureFile.path) {
            try LineReader(url: featureFile).scan { line, number in
                guard number > 1 else { return }
                let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard cols.count >= 3, let index = Int(cols[0]) else {
                    throw DataError(file: featureFile.path, line: number, "expected index, field and value separated by tabs")
                }
                features[index] = (String(cols[1]), String(cols[2]))
            }
        }
        var names: [String: String] = [:]
        let metaFile = directory.appendingPathComponent("meta.csv")
        if FileManager.default.fileExists(atPath: metaFile.path) {
            var nameColumn = 8
            try LineReader(url: metaFile).scan { line, number in
                let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
                if number == 1 { nameColumn = cols.firstIndex(of: "name") ?? nameColumn; return }
                if cols.count > nameColumn { names[String(cols[0])] = String(cols[nameColumn]) }
            }
        }
        return Frappe(train: train, validation: validation, features: features, appNames: names)
    }

    /// A readable name for a feature id: the app name for items, `field=value` otherwise.
    public func describe(feature id: Int32) -> String {
        guard let (field, value) = features[Int(id)] else { return "#\(id)" }
        if field == "item", let name = appNames[value], !name.isEmpty { return name }
        return "\(field)=\(value)"
    }
}
