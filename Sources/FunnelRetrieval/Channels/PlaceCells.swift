import FunnelData

/// How the state kept between rebuilds finds items by place: each located item is keyed by the
/// geohash cell of `precision` it lies in, and a request's neighbourhood at that precision or a
/// finer one (as `GeohashChannel` reads it: its cell and the eight around) names the keys to
/// look in and the cells an item found there must lie in.
enum PlaceCells {
    static let precision = 4

    /// The key of an item at `point`.
    static func key(of point: GeoPoint) -> String { Geohash.encode(point, precision: precision) }

    /// The cells of `precision` (at least `PlaceCells.precision`) around `location`, and the keys holding them.
    static func neighbourhood(of location: GeoPoint, precision: Int) -> (cells: Set<String>, keys: Set<String>) {
        precondition(precision >= Self.precision, "items are placed in cells of precision \(Self.precision) or finer")
        let cells = Set(Geohash.neighbourhood(Geohash.encode(location, precision: precision)))
        return (cells, Set(cells.map { String($0.prefix(Self.precision)) }))
    }

    /// Whether `point` lies in one of `cells`, all of `precision`.
    static func contains(_ cells: Set<String>, _ point: GeoPoint, precision: Int) -> Bool {
        cells.contains(Geohash.encode(point, precision: precision))
    }
}
