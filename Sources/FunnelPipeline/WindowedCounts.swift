import Foundation
import FunnelData

/// How often each key (an item, an author, a user) was exposed, clicked, liked… over trailing
/// windows that end at one moment, and the Bayesian-smoothed rates of those counts: a rate is
/// (count + s · p) / (base + s), where p is the rate over every key in the same window and s
/// the prior's strength, so that a key seen twice and clicked once is not rated 50%.
struct WindowedCounts<Key: Hashable & Sendable>: Sendable {
    /// What is counted. A click is a click or a purchase; a completion a view watched to at
    /// least `ExposureOutcomes.completionShare` of the item's duration.
    enum Action: Int, CaseIterable, Sendable {
        case exposure, click, like, collect, share, comment, completion, follow, hide

        init?(_ event: Event) {
            switch event.type {
            case .exposure: self = .exposure
            case .click, .purchase: self = .click
            case .like: self = .like
            case .collect: self = .collect
            case .share: self = .share
            case .comment: self = .comment
            case .followAuthor: self = .follow
            case .hide: self = .hide
            case .view:
                guard let duration = event.itemDuration, duration > 0,
                      (event.watchedSeconds ?? 0) >= ExposureOutcomes.completionShare * duration else { return nil }
                self = .completion
            case .rating: return nil
            }
        }
    }

    static var actions: Int { Action.allCases.count }

    /// The windows' lengths, in seconds, and the moment they end.
    let windows: [TimeInterval]
    let end: Date
    /// Each key's row in `counts`, which holds windows × actions counts per row.
    private var rows: [Key: Int] = [:]
    private var counts: [Int32] = []
    private var totals: [Double]
    private var width: Int { windows.count * Self.actions }

    init(windowDays: [Int], end: Date) {
        windows = windowDays.map { Double($0) * 86_400 }
        self.end = end
        totals = Array(repeating: 0, count: windows.count * Self.actions)
    }

    /// Counts `action` on `key` at `time`, in every window that holds it (none unless it is before the end).
    mutating func add(_ key: Key, _ action: Action, at time: Date) {
        let age = end.timeIntervalSince(time)
        guard age > 0 else { return }
        let start: Int
        if let row = rows[key] {
            start = row * width
        } else {
            start = counts.count
            rows[key] = rows.count
            counts.append(contentsOf: repeatElement(0, count: width))
        }
        for (w, length) in windows.enumerated() where age < length {
            counts[start + w * Self.actions + action.rawValue] += 1
            totals[w * Self.actions + action.rawValue] += 1
        }
    }

    func count(_ key: Key, window: Int, _ action: Action) -> Int {
        rows[key].map { Int(counts[$0 * width + window * Self.actions + action.rawValue]) } ?? 0
    }

    /// The smoothed rate of `action` per `base` (exposures for clicks, hides and follows;
    /// clicks for what follows a click) in window `window`.
    func rate(_ key: Key, window: Int, _ action: Action, per base: Action, priorStrength s: Double) -> Double {
        let x = Double(count(key, window: window, action))
        let n = max(Double(count(key, window: window, base)), x)
        let total = max(totals[window * Self.actions + base.rawValue], totals[window * Self.actions + action.rawValue])
        let prior = total > 0 ? totals[window * Self.actions + action.rawValue] / total : 0.05
        return n + s > 0 ? (x + s * prior) / (n + s) : prior
    }
}

extension WindowedCounts.Action {
    /// What an action's rate is measured per: exposures for a click, a hide or a follow, clicks for the rest.
    var base: Self {
        switch self {
        case .click, .hide, .follow, .exposure: .exposure
        case .like, .collect, .share, .comment, .completion: .click
        }
    }
}
