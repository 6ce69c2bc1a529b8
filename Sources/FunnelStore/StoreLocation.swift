import Foundation

/// Where a store lives: a `postgres://` URL, or else the path of a SQLite file (the default).
public enum StoreLocation {
    public static let defaultPath = "funnel.sqlite"

    public static func open(_ location: String) async throws -> any Store {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore.connect(location)
        }
        let url = URL(fileURLWithPath: location)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError("'\(location)' is a directory; give the path of a SQLite file or a postgres:// URL")
        }
        return try SQLiteStore(path: url.path)
    }
}
