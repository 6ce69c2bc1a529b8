import Foundation

extension RowReader {
    /// A SASRec-style sequence file (`user item` per line, each user's lines in time order) as
    /// `click` events. The file has no times, so the line number becomes the timestamp in seconds
    /// since 1970: order is kept, which is all the sequence protocols use.
    public static func sequences(_ url: URL) throws -> RowReader {
        try RowReader(url: url, fields: .whitespace) { f, line in
            guard f.count == 2 else { throw RowError("expected 'user item', found \(f.count) fields") }
            return [.event(Event(userID: String(f[0]), itemID: String(f[1]), type: .click, timestamp: Date(timeIntervalSince1970: Double(line))))]
        }
    }

    /// A libfm/libsvm file of one-hot fields (`label id:1 id:1 …`, e.g. Frappe) as feedback: every
    /// row is an exposure of the item to the user, followed by a click when the label is positive.
    /// The user and item are the features at positions `userField` and `itemField`, stored as
    /// `f<id>`; other fields are context the store has no place for. Line numbers become timestamps.
    public static func libfm(_ url: URL, userField: Int, itemField: Int) throws -> RowReader {
        try RowReader(url: url, fields: .whitespace) { f, line in
            guard let label = Double(f[0]), label.isFinite else { throw RowError("label '\(f[0])' is not a number") }
            guard f.count > max(userField, itemField) + 1 else {
                throw RowError("\(f.count - 1) features; the user and item fields are at positions \(userField) and \(itemField)")
            }
            func id(_ position: Int) throws -> String {
                let feature = f[position + 1]
                guard let colon = feature.firstIndex(of: ":"), Int(feature[..<colon]) != nil else {
                    throw RowError("feature '\(feature)' is not of the form id:value")
                }
                return "f" + feature[..<colon]
            }
            let user = try id(userField), item = try id(itemField), time = Date(timeIntervalSince1970: Double(line))
            let exposure = ImportRecord.event(Event(userID: user, itemID: item, type: .exposure, timestamp: time))
            guard label > 0 else { return [exposure] }
            return [exposure, .event(Event(userID: user, itemID: item, type: .click, timestamp: time))]
        }
    }
}
