import Foundation

/// Runs Python scripts that compare Funnel with reference packages (safetensors, scikit-learn).
///
/// Outside CI a test whose packages are missing is skipped; in CI (`CI=true`) it runs and fails,
/// because CI installs them.
public enum PythonPeer {
    public static var python: String { ProcessInfo.processInfo.environment["PYTHON"] ?? "python3" }

    public static var isCI: Bool {
        ["true", "1"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
    }

    /// Whether every module in `modules` imports; always true in CI, so missing packages fail there.
    public static func available(_ modules: String...) -> Bool {
        if isCI { return true }
        return (try? run(["-c", "import " + modules.joined(separator: ", ")]).status) == 0
    }

    /// The path of a script in `Tests/Python`.
    public static func script(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Python/\(name)").path
    }

    /// Runs the interpreter with `arguments`, returning its exit status and combined output.
    public static func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
