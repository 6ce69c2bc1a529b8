import Foundation
import FunnelData
import Testing

@Suite struct GeohashTests {
    @Test func geohashMatchesTheReferenceEncoding() {
        // The example of the original geohash description.
        #expect(Geohash.encode(GeoPoint(latitude: 57.64911, longitude: 10.40744), precision: 11) == "u4pruydqqvj")
        #expect(Geohash.encode(GeoPoint(latitude: -33.8688, longitude: 151.2093), precision: 5) == "r3gx2")
    }

    @Test func geohashDecodesToItsCellAndNeighbours() throws {
        // "ezs42" is the classic decoding example: latitude 42.6 ± 0.022, longitude −5.6 ± 0.022.
        let centre = try #require(Geohash.decode("ezs42"))
        #expect(abs(centre.latitude - 42.605) < 0.001 && abs(centre.longitude - -5.603) < 0.001)
        let precise = try #require(Geohash.bounds("u4pruydqqvj"))
        #expect(precise.latitude.contains(57.64911) && precise.longitude.contains(10.40744))
        #expect(Geohash.decode("") == nil && Geohash.decode("u4a") == nil)   // "a" is not in the alphabet
        // First-level cells form the grid  b c f g u v y z / 8 9 d e s t w x / 2 3 6 7 k m q r / 0 1 4 5 h j n p.
        #expect(Set(Geohash.neighbourhood("s")) == ["s", "u", "v", "t", "m", "k", "7", "e", "g"])
        // Deeper cells: eight distinct neighbours, each sharing an edge or a corner with the cell.
        let cell = try #require(Geohash.bounds("u4pru")), around = Geohash.neighbourhood("u4pru")
        #expect(around.count == 9 && Set(around).count == 9 && around.first == "u4pru")
        for neighbour in around.dropFirst() {
            let b = try #require(Geohash.bounds(neighbour))
            let touchesLatitude = b.latitude.upperBound >= cell.latitude.lowerBound - 1e-9 && b.latitude.lowerBound <= cell.latitude.upperBound + 1e-9
            let touchesLongitude = b.longitude.upperBound >= cell.longitude.lowerBound - 1e-9 && b.longitude.lowerBound <= cell.longitude.upperBound + 1e-9
            #expect(touchesLatitude && touchesLongitude, "\(neighbour) is not next to u4pru")
        }
        // Across the antimeridian, and at the pole.
        let east = Geohash.encode(GeoPoint(latitude: 0.1, longitude: 179.99), precision: 4)
        #expect(Geohash.neighbourhood(east).contains(Geohash.encode(GeoPoint(latitude: 0.1, longitude: -179.99), precision: 4)))
        #expect(Geohash.neighbourhood(Geohash.encode(GeoPoint(latitude: 89.99, longitude: 0), precision: 3)).count == 6)
    }
}
