import Foundation

/// Reads libfm/libsvm files of one-hot fields (`label id:1 id:1 …`), such as Frappe.
///
/// Labels `1` are positives; `0` and `-1` negatives. Every line must have the same number of
/// features, each with value 1; anything else is an error naming the file and line.
public enum LibFMReader {
    public static func read(_ url: URL, vocabularySize declared: Int? = nil) throws -> FieldDataset {
        var ids: [Int32] = []
        var labels: [Float] = []
        var fieldCount: Int?
        var maxId: Int32 = -1
        try LineReader(url: url).scan { line, number in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.isEmpty { return }
            guard let raw = Double(parts[0]), raw.isFinite else {
                throw DataError(file: url.path, line: number, "label '\(parts[0])' is not a number")
            }
            let features = parts.dropFirst()
            if let expected = fieldCount, expected != features.count {
                throw DataError(file: url.path, line: number, "\(features.count) features where earlier lines have \(expected)")
            }
            fieldCount = features.count
            for feature in features {
                let pair = feature.split(separator: ":", maxSplits: 1)
                guard pair.count == 2, let id = Int32(pair[0]), id >= 0 else {
                    throw DataError(file: url.path, line: number, "feature '\(feature)' is not of the form id:value with a non-negative integer id")
                }
                guard let value = Double(pair[1]), value == 1 else {
                    throw DataError(file: url.path, line: number, "feature '\(feature)' has a value other than 1; only one-hot fields are supported")
                }
                if let declared, Int(id) >= declared {
                    throw DataError(file: url.path, line: number, "feature id \(id) is outside the vocabulary of \(declared)")
                }
                ids.append(id)
                maxId = max(maxId, id)
            }
            labels.append(raw > 0 ? 1 : 0)
        }
        guard let fieldCount, !labels.isEmpty else { throw DataError(file: url.path, "no examples") }
        return FieldDataset(fieldCount: fieldCount, ids: ids, labels: labels, vocabularySize: declared ?? Int(maxId + 1))
    }
}
