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

    /// Each executor is made fresh, on a thread with a name of its own, because the name a thread
    /// inherits from its creator is what it keeps if naming it is lost to a race with its start.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/stat"), "needs Linux's /proc"))
    func tasksRunOnALowerPriorityThreadOfTheirOwn() async throws {
        let caller = Self.thread()
        let expected = min(19, (caller?.niceness ?? 0) + 10)
        for _ in 0..<64 {
            let executor = BackgroundExecutor(niceness: 10)
            let seen = await Task(executorPreference: executor) { () async -> [(name: String, niceness: Int)?] in
                var seen = [Self.thread()]
                await Task.yield()   // resumed on the same executor
                seen.append(Self.thread())
                return seen
            }.value
            for thread in seen {
                #expect(thread?.name == "background")
                #expect(thread?.niceness == expected)
            }
        }
        #expect(caller?.name != "background")
    }
}
