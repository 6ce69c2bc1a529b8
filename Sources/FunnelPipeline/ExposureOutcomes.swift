import Foundation
import FunnelData
import FunnelStages

/// What users did after being shown items: for each logged exposure, its label for every
/// objective, from the user's actions on the item within `window` after it.
///
/// Click: any engagement (click, like, collect, share, comment, purchase). Like, collect,
/// share, comment and follow: that action. Completion: a view watched to at least
/// `completionShare` of the item's duration. Watch time: the longest view's seconds.
struct ExposureOutcomes {
    static let clickTypes: Set<EventType> = [.click, .like, .collect, .share, .comment, .purchase]
    static let completionShare = 0.9

    private struct Action {
        var time: Date
        var type: EventType
        var watched: Double
        var duration: Double?
    }

    private var actions: [UserItem: [Action]] = [:]
    let window: TimeInterval

    /// From the events at or after `start`.
    init(_ events: [Event], from start: Date, window: TimeInterval) {
        self.window = window
        let kept: Set<EventType> = Self.clickTypes.union([.followAuthor, .view])
        for event in events where event.timestamp >= start && kept.contains(event.type) {
            actions[UserItem(event), default: []].append(Action(time: event.timestamp, type: event.type,
                                                                watched: event.watchedSeconds ?? 0, duration: event.itemDuration))
        }
    }

    /// The labels of `exposure`, per objective.
    func labels(of exposure: Event) -> [Objective: Float] {
        var labels = Dictionary(uniqueKeysWithValues: Objective.allCases.map { ($0, Float(0)) })
        for action in actions[UserItem(exposure)] ?? [] where action.time >= exposure.timestamp
            && action.time.timeIntervalSince(exposure.timestamp) <= window {
            if Self.clickTypes.contains(action.type) { labels[.click] = 1 }
            switch action.type {
            case .like: labels[.like] = 1
            case .collect: labels[.collect] = 1
            case .share: labels[.share] = 1
            case .comment: labels[.comment] = 1
            case .followAuthor: labels[.follow] = 1
            case .view:
                labels[.watchTime] = max(labels[.watchTime]!, Float(action.watched))
                if let duration = action.duration, duration > 0, action.watched >= Self.completionShare * duration { labels[.completion] = 1 }
            default: break
            }
        }
        return labels
    }
}

/// A (user, item) pair.
struct UserItem: Hashable, Sendable {
    let user: String
    let item: String

    init(_ event: Event) {
        user = event.userID
        item = event.itemID
    }
}
