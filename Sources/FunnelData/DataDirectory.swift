import Foundation

/// Where the public datasets live: `$FUNNEL_DATA`, else `../shared/data` from the working directory.
///
/// Their licences forbid redistribution, so Funnel reads them from there and never copies them.
public enum DataDirectory {
    public static var root: URL {
        if let path = ProcessInfo.processInfo.environment["FUNNEL_DATA"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            .appendingPathComponent("../shared/data", isDirectory: true).standardizedFileURL
    }

    /// A dataset folder under the root, or nil when it is absent.
    public static func dataset(_ name: String) -> URL? {
        let url = root.appendingPathComponent(name, isDirectory: true)
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue ? url : nil
    }
}
