import Foundation

/// A point on Earth in degrees.
public struct GeoPoint: Codable, Sendable, Hashable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// "latitude,longitude" in degrees, each within its range; nil otherwise.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard parts.count == 2, let latitude = parts[0], let longitude = parts[1], (-90...90).contains(latitude), (-180...180).contains(longitude) else {
            return nil
        }
        self.init(latitude: latitude, longitude: longitude)
    }
}

/// A user of the app being recommended for.
public struct User: Codable, Sendable, Hashable {
    public var id: String
    public var categorical: [String: String] = [:]
    public var numeric: [String: Double] = [:]
    public var tags: [String] = []
    public var home: GeoPoint?
    public var createdAt: Date?

    public init(id: String, categorical: [String: String] = [:], numeric: [String: Double] = [:], tags: [String] = [],
                home: GeoPoint? = nil, createdAt: Date? = nil) {
        self.id = id
        self.categorical = categorical
        self.numeric = numeric
        self.tags = tags
        self.home = home
        self.createdAt = createdAt
    }
}

/// Something that can be recommended: a post, video, product or app.
public struct Item: Codable, Sendable, Hashable {
    public var id: String
    /// Category paths from broad to narrow, e.g. `beauty/makeup`.
    public var categories: [String] = []
    public var tags: [String] = []
    public var authorID: String?
    public var location: GeoPoint?
    public var createdAt: Date?
    public var expiresAt: Date?
    public var isHidden = false
    public var numeric: [String: Double] = [:]
    public var text: String?
    public var contentVector: [Float]?

    public init(id: String, categories: [String] = [], tags: [String] = [], authorID: String? = nil, location: GeoPoint? = nil,
                createdAt: Date? = nil, expiresAt: Date? = nil, isHidden: Bool = false, numeric: [String: Double] = [:],
                text: String? = nil, contentVector: [Float]? = nil) {
        self.id = id
        self.categories = categories
        self.tags = tags
        self.authorID = authorID
        self.location = location
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.isHidden = isHidden
        self.numeric = numeric
        self.text = text
        self.contentVector = contentVector
    }

    /// Every level of every category path: `beauty/makeup` gives `beauty` and `beauty/makeup`.
    public var categoryLevels: [String] {
        var levels: [String] = []
        for path in categories {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix = prefix.isEmpty ? String(part) : prefix + "/" + part
                if !levels.contains(prefix) { levels.append(prefix) }
            }
        }
        return levels
    }

    /// Whether the item may be shown at `time`.
    public func isAvailable(at time: Date) -> Bool {
        !isHidden && (expiresAt.map { $0 > time } ?? true)
    }
}

/// What a user did with an item.
public enum EventType: String, Codable, Sendable, CaseIterable {
    case exposure, click, like, collect, share, comment
    case followAuthor = "follow-author"
    case hide, purchase, view
    /// An explicit rating; `value` holds the score (e.g. 1–5 stars).
    case rating

    /// The position in `allCases`, for per-type tables: hashing a type would hash its raw string.
    public var ordinal: Int {
        switch self {
        case .exposure: 0
        case .click: 1
        case .like: 2
        case .collect: 3
        case .share: 4
        case .comment: 5
        case .followAuthor: 6
        case .hide: 7
        case .purchase: 8
        case .view: 9
        case .rating: 10
        }
    }
}

/// Where and how an event happened.
public struct EventContext: Codable, Sendable, Hashable {
    public var device: String?
    public var city: String?
    /// Local hour of day, 0–23.
    public var hour: Int?
    /// The experiment arms the user was in (`rerank=dpp,rank=control`, or `holdout`): the
    /// server writes it with every exposure, and `funnel experiment report` reads it back.
    public var experiments: String?

    public init(device: String? = nil, city: String? = nil, hour: Int? = nil, experiments: String? = nil) {
        self.device = device
        self.city = city
        self.hour = hour
        self.experiments = experiments
    }
}

/// One feedback event.
public struct Event: Codable, Sendable, Hashable {
    public var userID: String
    public var itemID: String
    public var type: EventType
    public var timestamp: Date
    /// For `view`: seconds watched and the item's duration.
    public var watchedSeconds: Double?
    public var itemDuration: Double?
    /// The number an event carries: a rating's score, a purchase's amount.
    public var value: Double?
    public var context = EventContext()

    public init(userID: String, itemID: String, type: EventType, timestamp: Date, watchedSeconds: Double? = nil,
                itemDuration: Double? = nil, value: Double? = nil, context: EventContext = EventContext()) {
        self.userID = userID
        self.itemID = itemID
        self.type = type
        self.timestamp = timestamp
        self.watchedSeconds = watchedSeconds
        self.itemDuration = itemDuration
        self.value = value
        self.context = context
    }
}

// Decoding: a field that has a default may be left out (an API client sends only what it knows);
// the identifiers, and an event's type and time, are required.

extension User {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id),
                  categorical: try c.decodeIfPresent([String: String].self, forKey: .categorical) ?? [:],
                  numeric: try c.decodeIfPresent([String: Double].self, forKey: .numeric) ?? [:],
                  tags: try c.decodeIfPresent([String].self, forKey: .tags) ?? [],
                  home: try c.decodeIfPresent(GeoPoint.self, forKey: .home),
                  createdAt: try c.decodeIfPresent(Date.self, forKey: .createdAt))
    }
}

extension Item {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id),
                  categories: try c.decodeIfPresent([String].self, forKey: .categories) ?? [],
                  tags: try c.decodeIfPresent([String].self, forKey: .tags) ?? [],
                  authorID: try c.decodeIfPresent(String.self, forKey: .authorID),
                  location: try c.decodeIfPresent(GeoPoint.self, forKey: .location),
                  createdAt: try c.decodeIfPresent(Date.self, forKey: .createdAt),
                  expiresAt: try c.decodeIfPresent(Date.self, forKey: .expiresAt),
                  isHidden: try c.decodeIfPresent(Bool.self, forKey: .isHidden) ?? false,
                  numeric: try c.decodeIfPresent([String: Double].self, forKey: .numeric) ?? [:],
                  text: try c.decodeIfPresent(String.self, forKey: .text),
                  contentVector: try Self.floats(c, .contentVector))
    }

    /// Numbers read as doubles, then narrowed: a value beyond Float's range is an error naming
    /// the field (Foundation would call it malformed JSON), one below its precision becomes 0.
    private static func floats(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [Float]? {
        guard let values = try c.decodeIfPresent([Double].self, forKey: key) else { return nil }
        guard values.allSatisfy({ abs($0) <= Double(Float.greatestFiniteMagnitude) }) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "values must lie within ±3.4028235e38 (32-bit floats)")
        }
        return values.map(Float.init)
    }
}

extension Event {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(userID: try c.decode(String.self, forKey: .userID), itemID: try c.decode(String.self, forKey: .itemID),
                  type: try c.decode(EventType.self, forKey: .type), timestamp: try c.decode(Date.self, forKey: .timestamp),
                  watchedSeconds: try c.decodeIfPresent(Double.self, forKey: .watchedSeconds),
                  itemDuration: try c.decodeIfPresent(Double.self, forKey: .itemDuration),
                  value: try c.decodeIfPresent(Double.self, forKey: .value),
                  context: try c.decodeIfPresent(EventContext.self, forKey: .context) ?? EventContext())
    }
}

extension GeoPoint {
    /// The great-circle distance to `other`, in kilometres (haversine, on a sphere of the Earth's mean radius).
    public func kilometres(to other: GeoPoint) -> Double {
        let rad = Double.pi / 180
        let dLat = (other.latitude - latitude) * rad, dLon = (other.longitude - longitude) * rad
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(latitude * rad) * cos(other.latitude * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * 6_371.0 * asin(min(1, a.squareRoot()))
    }
}
