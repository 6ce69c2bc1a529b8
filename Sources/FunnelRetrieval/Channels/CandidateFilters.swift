import Foundation
import FunnelData
import FunnelIndex

/// Items the user was shown within the exposure filter's window.
public struct ExposedFilter: CandidateFilter {
    public var exposures: ExposureFilter
    public init(_ exposures: ExposureFilter) { self.exposures = exposures }
    public func allows(_ item: String, in context: RetrievalContext) -> Bool {
        !exposures.contains(item, now: context.now)
    }
}

/// Items that are hidden, expired, unknown, or by an author the user blocked.
public struct AvailabilityFilter: CandidateFilter {
    public var catalogue: [String: Item]
    public var blockedAuthors: Set<String>
    public init(catalogue: [String: Item], blockedAuthors: Set<String> = []) {
        self.catalogue = catalogue
        self.blockedAuthors = blockedAuthors
    }
    public func allows(_ item: String, in context: RetrievalContext) -> Bool {
        guard let record = catalogue[item], record.isAvailable(at: context.now) else { return false }
        return record.authorID.map { !blockedAuthors.contains($0) } ?? true
    }
}

/// Items the user hid or disliked among their recent actions.
public struct DislikedFilter: CandidateFilter {
    public init() {}
    public func allows(_ item: String, in context: RetrievalContext) -> Bool {
        !context.recentActions.contains { $0.type == .hide && $0.itemID == item }
    }
}
