import Foundation

/// Runs background work, the pipeline builds, on a thread of its own at a lower scheduling
/// priority. Swift concurrency's jobs run on the event loops that serve requests (see `Main` in
/// the CLI), so a build run as an ordinary task held one of them for seconds at a time and the
/// connections on it stalled; here it never holds a loop, and when both want the cores the
/// kernel serves the loops first.
final class BackgroundExecutor: TaskExecutor, @unchecked Sendable {   // `jobs` is guarded by `condition`
    static let shared = BackgroundExecutor(niceness: 10)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// `niceness` is added to the thread's (Linux: 0 … 19, higher yields more).
    init(niceness: Int32) {
        Thread { [self] in run(niceness: niceness) }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    private func run(niceness: Int32) {
        Thread.current.name = "background"
        #if os(Linux)
        // The thread's kernel id, from /proc/thread-self → "<pid>/task/<tid>" (Glibc's gettid is not imported).
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
           let thread = link.split(separator: "/").last.flatMap({ id_t($0) }) {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, niceness)
        }
        #endif
        while true {
            let job = condition.withLock {
                while jobs.isEmpty { condition.wait() }
                return jobs.removeFirst()   // a handful at most: a build's jobs, one after another
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
