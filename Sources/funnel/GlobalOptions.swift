import ArgumentParser
import Foundation
import FunnelData
import FunnelStore
import FunnelTensor

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Folder of public datasets (default: $FUNNEL_DATA, else ../shared/data).")
    var data: String?

    @Option(help: "Threads for numeric work.")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    var dataRoot: URL {
        data.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? DataDirectory.root
    }

    func apply() {
        Compute.setThreads(threads)
    }
}

/// Checks a `--batch` option against what a store accepts in one write.
func validateBatchOption(_ batch: Int) throws {
    guard batch >= 1, batch <= StoreLimits.maximumBatch else {
        throw ValidationError("--batch must be 1…\(StoreLimits.maximumBatch), got \(batch)")
    }
}
