/// Geohash (G. Niemeyer): a point's cell as base-32 text; each character narrows the cell, so
/// items sharing a prefix are near each other. Precision 5 is about 5 km, 6 about 1.2 km.
public enum Geohash {
    static let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz")

    public static func encode(_ point: GeoPoint, precision: Int = 6) -> String {
        var latitude = (-90.0, 90.0), longitude = (-180.0, 180.0)
        var text = "", bits = 0, value = 0, even = true
        while text.count < precision {
            if even {
                let mid = (longitude.0 + longitude.1) / 2
                if point.longitude >= mid { value = value << 1 | 1; longitude.0 = mid } else { value <<= 1; longitude.1 = mid }
            } else {
                let mid = (latitude.0 + latitude.1) / 2
                if point.latitude >= mid { value = value << 1 | 1; latitude.0 = mid } else { value <<= 1; latitude.1 = mid }
            }
            even.toggle()
            bits += 1
            if bits == 5 {
                text.append(alphabet[value])
                bits = 0
                value = 0
            }
        }
        return text
    }

    /// The cell a geohash names: its latitude and longitude ranges. Nil for text that is not a
    /// geohash (empty, or a character outside the alphabet).
    public static func bounds(_ hash: String) -> (latitude: ClosedRange<Double>, longitude: ClosedRange<Double>)? {
        var latitude = (-90.0, 90.0), longitude = (-180.0, 180.0), even = true
        guard !hash.isEmpty else { return nil }
        for character in hash.lowercased() {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            for shift in stride(from: 4, through: 0, by: -1) {
                let bit = (value >> shift) & 1 == 1
                if even {
                    let mid = (longitude.0 + longitude.1) / 2
                    if bit { longitude.0 = mid } else { longitude.1 = mid }
                } else {
                    let mid = (latitude.0 + latitude.1) / 2
                    if bit { latitude.0 = mid } else { latitude.1 = mid }
                }
                even.toggle()
            }
        }
        return (latitude.0...latitude.1, longitude.0...longitude.1)
    }

    /// The centre of the cell.
    public static func decode(_ hash: String) -> GeoPoint? {
        bounds(hash).map { GeoPoint(latitude: ($0.latitude.lowerBound + $0.latitude.upperBound) / 2,
                                    longitude: ($0.longitude.lowerBound + $0.longitude.upperBound) / 2) }
    }

    /// The cell and its up to eight neighbours of the same precision (fewer at the poles; across
    /// the ±180° meridian the neighbours wrap around).
    public static func neighbourhood(_ hash: String) -> [String] {
        guard let cell = bounds(hash) else { return [] }
        let height = cell.latitude.upperBound - cell.latitude.lowerBound, width = cell.longitude.upperBound - cell.longitude.lowerBound
        let centre = GeoPoint(latitude: cell.latitude.lowerBound + height / 2, longitude: cell.longitude.lowerBound + width / 2)
        var cells: [String] = []
        for dLat in [0.0, 1, -1] {
            let latitude = centre.latitude + dLat * height
            guard latitude > -90, latitude < 90 else { continue }
            for dLon in [0.0, 1, -1] {
                var longitude = centre.longitude + dLon * width
                if longitude >= 180 { longitude -= 360 } else if longitude < -180 { longitude += 360 }
                let neighbour = encode(GeoPoint(latitude: latitude, longitude: longitude), precision: hash.count)
                if !cells.contains(neighbour) { cells.append(neighbour) }
            }
        }
        return cells
    }
}
