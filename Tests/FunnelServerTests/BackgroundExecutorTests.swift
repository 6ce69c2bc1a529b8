import Foundation
@testable import FunnelServer
import Testing

@Suite struct BackgroundExecutorTests {
    /// The kernel's view of the calling thread: its name and niceness (Linux).
    static func thread() -> (name: String, niceness: Int)? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        // After the name, from the third field: niceness is the 19th.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (String(stat[stat.index(after: open)..<close]), Int(fields[16]) ?? 0)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/stat"), "needs Linux's /proc"))
    func tasksRunOnALowerPriorityThreadOfTheirOwn() async throws {
        let caller = Self.thread()
        let seen = await Task(executorPreference: BackgroundExecutor.shared) { () async -> [(name: String, niceness: Int)?] in
            var seen = [Self.thread()]
            await Task.yield()   // resumed on the same executor
            seen.append(Self.thread())
            return seen
        }.value
        for thread in seen {
            #expect(thread?.name == "background")
            #expect(thread?.niceness == 10)
        }
        #expect(caller?.name != "background")
    }
}
