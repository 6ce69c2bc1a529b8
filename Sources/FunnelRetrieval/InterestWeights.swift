import FunnelData

/// How much each kind of event says a user wanted an item: like(u, i) in ItemCF and UserCF sums
/// these over u's events on i, and the popularity channels count with them. Types without a
/// weight (exposure, hide, view) count for nothing.
public struct InterestWeights: Sendable, Equatable {
    public var weights: [EventType: Double] {
        didSet { table = Self.table(weights) }
    }
    /// The weights by `EventType.ordinal`: looked up once per event in every request.
    private var table: [Double]

    public init(_ weights: [EventType: Double]) {
        self.weights = weights
        table = Self.table(weights)
    }

    private static func table(_ weights: [EventType: Double]) -> [Double] {
        EventType.allCases.map { weights[$0] ?? 0 }
    }

    public static let standard = InterestWeights([
        .click: 1, .like: 2, .collect: 3, .share: 4, .comment: 3, .followAuthor: 2, .purchase: 5, .rating: 1,
    ])

    public func weight(of type: EventType) -> Double { table[type.ordinal] }
}
