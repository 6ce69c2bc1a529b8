import Foundation
import FunnelData

/// What each user did in an experiment's window and in the pre-period of the same length before
/// it, as the report's metrics count it: the days with an exposure, the count of each action
/// and the seconds watched. Read from the log once, then analysed under any assignment (an
/// experiment's, or the many random ones of an A/A test).
public struct UserActivity: Sendable {
    struct Activity: Sendable {
        var activeDays = Set<Int>()
        var counts = [Double](repeating: 0, count: UserActivity.counted.count)
        var watchSeconds = 0.0
    }

    /// The actions counted, exposures first.
    static let counted: [EventType] = [.exposure, .click, .like, .collect, .share, .comment, .followAuthor]

    public let start: Date
    public let end: Date
    /// Whole days in the window (the last may be partial).
    let dayCount: Int
    var during: [String: Activity] = [:]
    var before: [String: Activity] = [:]

    /// The activity in [start, end) and in the pre-period as long before it, of `users` (nil:
    /// every user in `events`).
    public init(events: [Event], users: Set<String>?, start: Date, end: Date) {
        (self.start, self.end) = (start, end)
        let length = end.timeIntervalSince(start)
        dayCount = Int((length / 86_400).rounded(.up))
        let preStart = start.addingTimeInterval(-length)
        for e in events where e.timestamp >= preStart && e.timestamp < end && (users?.contains(e.userID) ?? true) {
            let inWindow = e.timestamp >= start
            let day = Int((e.timestamp.timeIntervalSince(inWindow ? start : preStart) / 86_400).rounded(.down))
            func add(_ activity: inout Activity) {
                if e.type == .exposure { activity.activeDays.insert(day) }
                if let k = Self.counted.firstIndex(of: e.type) { activity.counts[k] += 1 }
                if e.type == .view, let seconds = e.watchedSeconds { activity.watchSeconds += seconds }
            }
            if inWindow { add(&during[e.userID, default: Activity()]) } else { add(&before[e.userID, default: Activity()]) }
        }
    }

    /// The users exposed to something in the window, sorted.
    public var exposedUsers: [String] { during.filter { !$0.value.activeDays.isEmpty }.map(\.key).sorted() }
}
