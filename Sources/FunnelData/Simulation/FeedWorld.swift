import Foundation

/// A simulated feed: users with latent interests, authors, items and the places they belong to.
/// `docs/simulation.md` states the generative model; the constants here are its parameters.
public struct FeedWorld: Sendable {
    public struct Configuration: Sendable, Codable, Equatable {
        public var seed: UInt64 = 1
        public var users = 10_000
        public var authors = 2_000
        public var items = 20_000
        public var cities = 20
        /// Top-level categories, each with `subcategories` leaves (`food/3`).
        public var topCategories = 8
        public var subcategories = 5
        public var days = 14
        public var start = Date(timeIntervalSince1970: 1_735_689_600)   // 2025-01-01
        /// Exposures per feed request (session).
        public var feedSize = 10
        /// Mean sessions per user and day (each user's own rate is log-normal around it).
        public var sessionsPerDay = 2.0

        public init() {}
    }

    static let topNames = ["beauty", "food", "travel", "fitness", "tech", "fashion", "pets", "music",
                           "games", "home", "cars", "books", "film", "sport", "kids", "finance"]
    static let cityNames = ["shanghai", "beijing", "shenzhen", "guangzhou", "chengdu", "hangzhou", "wuhan", "xian",
                            "nanjing", "chongqing", "tianjin", "suzhou", "changsha", "qingdao", "kunming", "xiamen",
                            "harbin", "dalian", "jinan", "fuzhou"]
    static let devices = ["ios", "android", "web"]

    public struct City: Sendable {
        public var name: String
        public var center: GeoPoint
    }

    public struct Author: Sendable {
        public var city: Int
        public var leaf: Int
        public var quality: Double
    }

    public struct SimItem: Sendable {
        public var author: Int32
        public var leaf: Int32
        public var city: Int32
        public var quality: Double
        public var duration: Double
        public var created: Double
        public var location: GeoPoint
    }

    public struct SimUser: Sendable {
        public var city: Int
        public var device: Int
        public var ageBand: Int
        /// Sessions per day.
        public var activity: Double
        /// The interests the user returns to, per leaf category (0…1).
        public var base: [Float]
    }

    public let configuration: Configuration
    public let cities: [City]
    public let authors: [Author]
    public let items: [SimItem]
    public let users: [SimUser]
    public var leafCount: Int { configuration.topCategories * configuration.subcategories }

    public init(_ c: Configuration) throws {
        guard c.users >= 1, c.authors >= 1, c.items >= 1, c.days >= 1, c.feedSize >= 1, c.sessionsPerDay > 0 else {
            throw DataError(file: "simulation", "users, authors, items, days, feed size and sessions per day must be positive")
        }
        guard (1...Self.topNames.count).contains(c.topCategories), (1...Self.cityNames.count).contains(c.cities), c.subcategories >= 1 else {
            throw DataError(file: "simulation", "at most \(Self.topNames.count) top categories and \(Self.cityNames.count) cities")
        }
        configuration = c
        var g = SplitMix64.derived(c.seed, 1, 0)
        let cities = (0..<c.cities).map { k in
            City(name: Self.cityNames[k], center: GeoPoint(latitude: 22 + 24 * g.nextUnitDouble(), longitude: 102 + 20 * g.nextUnitDouble()))
        }
        let cityWeights = zipfTable(c.cities, exponent: 1)
        let leaves = c.topCategories * c.subcategories
        let authors = (0..<c.authors).map { _ in
            Author(city: g.pick(cumulative: cityWeights), leaf: g.below(leaves), quality: 0.5 * g.normal())
        }
        let productivity = zipfTable(c.authors, exponent: 0.8)
        let horizon = Double(c.days) * 86_400, start = c.start.timeIntervalSince1970
        let items = (0..<c.items).map { _ in
            let a = g.pick(cumulative: productivity), author = authors[a]
            let leaf = g.bernoulli(0.8) ? author.leaf : g.below(leaves)
            let center = cities[author.city].center
            // A sixth of the catalogue exists before the first day; the rest is published over the run.
            let created = start - horizon / 5 + g.nextUnitDouble() * horizon * 6 / 5
            return SimItem(author: Int32(a), leaf: Int32(leaf), city: Int32(author.city), quality: author.quality + 0.5 * g.normal(),
                           duration: min(1800, max(5, exp(log(60) + 0.8 * g.normal()))), created: created.rounded(),
                           location: GeoPoint(latitude: center.latitude + 0.05 * g.normal(), longitude: center.longitude + 0.05 * g.normal()))
        }
        let users = (0..<c.users).map { _ in
            var base = [Float](repeating: 0, count: leaves)
            // Three favourite leaves with random weights; some of their interest spills over to siblings.
            for _ in 0..<3 {
                let leaf = g.below(leaves), weight = Float(0.3 + 0.7 * g.nextUnitDouble())
                let top = leaf / c.subcategories
                for sibling in (top * c.subcategories)..<((top + 1) * c.subcategories) { base[sibling] = max(base[sibling], 0.25 * weight) }
                base[leaf] = max(base[leaf], weight)
            }
            return SimUser(city: g.pick(cumulative: cityWeights), device: g.below(Self.devices.count), ageBand: g.below(6),
                           activity: c.sessionsPerDay * exp(0.6 * g.normal() - 0.18), base: base)
        }
        (self.cities, self.authors, self.items, self.users) = (cities, authors, items, users)
    }

    public func leafName(_ leaf: Int) -> String {
        "\(Self.topNames[leaf / configuration.subcategories])/\(leaf % configuration.subcategories + 1)"
    }

    /// The records a store holds: observable attributes only (qualities and interests stay latent).
    public func userRecord(_ k: Int) -> User {
        let u = users[k]
        return User(id: "u\(k)", categorical: ["device": Self.devices[u.device], "age": "band\(u.ageBand)", "city": cities[u.city].name],
                    home: cities[u.city].center, createdAt: configuration.start.addingTimeInterval(-86_400 * 30))
    }

    public func itemRecord(_ k: Int) -> Item {
        let i = items[k]
        return Item(id: "i\(k)", categories: [leafName(Int(i.leaf))], tags: ["geohash:" + Geohash.encode(i.location, precision: 5)],
                    authorID: "a\(i.author)", location: i.location, createdAt: Date(timeIntervalSince1970: i.created),
                    numeric: ["duration": i.duration.rounded()])
    }
}
