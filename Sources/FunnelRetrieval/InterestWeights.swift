import FunnelData

/// How much each kind of event says a user wanted an item: like(u, i) in ItemCF and UserCF sums
/// these over u's events on i, and the popularity channels count with them. Types without a
/// weight (exposure, hide, view) count for nothing.
public struct InterestWeights: Sendable, Equatable {
    public var weights: [EventType: Double]

    public init(_ weights: [EventType: Double]) { self.weights = weights }

    public static let standard = InterestWeights([
        .click: 1, .like: 2, .collect: 3, .share: 4, .comment: 3, .followAuthor: 2, .purchase: 5, .rating: 1,
    ])

    public func weight(of type: EventType) -> Double { weights[type] ?? 0 }
}
