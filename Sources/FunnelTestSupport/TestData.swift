import Foundation
import FunnelData

/// Real datasets for tests, found through `DataDirectory`; nil when absent, so tests can skip.
public enum TestData {
    public static var frappe: URL? {
        DataDirectory.dataset("frappe").flatMap {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("frappe.train.libfm").path) ? $0 : nil
        }
    }

    public static var movieLens100K: URL? {
        DataDirectory.dataset("ml-100k").flatMap {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("u.data").path) ? $0 : nil
        }
    }

    /// SASRec's Amazon Games sequence file (`SequenceFile`).
    public static var amazonGames: URL? {
        DataDirectory.dataset("sasrec-amazon-games").map { $0.appendingPathComponent("Video.txt") }
            .flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }
    }

    public static let missingMessage = "dataset not found under $FUNNEL_DATA or ../shared/data"

    /// A fresh temporary directory, removed with the rest of this process's when the process exits.
    public static func temporaryDirectory() throws -> URL {
        let url = processFolder.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The folder holding every temporary directory of this test process.
    private static let processFolder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-test-\(UUID().uuidString)", isDirectory: true)
        atexit { try? FileManager.default.removeItem(at: TestData.processFolder) }
        return url
    }()
}
