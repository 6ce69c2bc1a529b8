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
}
