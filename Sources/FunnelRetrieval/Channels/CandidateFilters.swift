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
    /// What the filter needs of an item, without copying whole records on every check.
    struct Entry {
        var expires: Date?
        var hidden: Bool
        var author: String?
    }

    let entries: [String: Entry]
    public var blockedAuthors: Set<String>

    public init(catalogue: some Sequence<Item>, blockedAuthors: Set<String> = []) {
        entries = Dictionary(catalogue.map { ($0.id, Entry(expires: $0.expiresAt, hidden: $0.isHidden, author: $0.authorID)) },
                             uniquingKeysWith: { _, last in last })
        self.blockedAuthors = blockedAuthors
    }

    public func allows(_ item: String, in context: RetrievalContext) -> Bool {
        guard let entry = entries[item], !entry.hidden, entry.expires.map({ $0 > context.now }) ?? true else { return false }
        return blockedAuthors.isEmpty || entry.author.map { !blockedAuthors.contains($0) } ?? true
    }
}

/// Items the user hid or disliked among their recent actions.
public struct DislikedFilter: CandidateFilter {
    public init() {}
    public func allows(_ item: String, in context: RetrievalContext) -> Bool {
        !context.hidden.contains(item)
    }
}
