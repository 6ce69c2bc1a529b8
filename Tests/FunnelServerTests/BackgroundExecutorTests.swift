import Foundation
import FunnelBench
@testable import FunnelServer
import Testing

@Suite struct BackgroundExecutorTests {
    /// The kernel's view of the calling thread: its name and niceness (Linux).
    static func thread() -> (name: String, niceness: Int)? {
        guard let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8),
              let fields = Measure.statFields("/proc/thread-self/stat"), fields.count > 16 else { return nil }
        return (name.trimmingCharacters(in: .newlines), Int(fields[16]) ?? 0)
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
        let expected = min(19, (caller?.niceness ?? 0) + 10)
        for thread in seen {
            #expect(thread?.name == "background")
            #expect(thread?.niceness == expected)
        }
        #expect(caller?.name != "background")
    }
}
