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

    /// `niceness` is added to the inherited one, up to 19 (Linux; higher yields more).
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
        // Foundation applies a name to the kernel's thread only once its creator has stored the
        // thread's handle, which can come after this line runs; the thread would then keep the
        // name it inherited from its creator. Name it directly (`pthread_setname_np` is not
        // visible from Swift's Glibc module; the kernel's file for the name does the same).
        try? "background".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        // On Linux niceness belongs to each thread, and `who` 0 names the calling one. Raising it
        // needs no privilege, so start from the inherited value (a process may already run niced).
        errno = 0
        let inherited = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, inherited + niceness))
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
