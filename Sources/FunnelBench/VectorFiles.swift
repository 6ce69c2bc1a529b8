import Foundation

/// The ann-benchmarks file formats: `.fvecs` (per vector a little-endian Int32 dimension, then
/// that many Float32) and `.ivecs` (the same with Int32 values, e.g. true neighbour ids).
public enum VectorFiles {
    public static func readFloats(_ url: URL) throws -> (dimension: Int, values: [Float]) {
        let (dimension, words) = try read(url)
        return (dimension, words.map { Float(bitPattern: $0) })
    }

    public static func readInts(_ url: URL) throws -> (dimension: Int, values: [Int32]) {
        let (dimension, words) = try read(url)
        return (dimension, words.map { Int32(bitPattern: $0) })
    }

    /// Rows of 32-bit words with their leading dimension removed.
    private static func read(_ url: URL) throws -> (Int, [UInt32]) {
        let data = try Data(contentsOf: url)
        guard data.count >= 4, data.count % 4 == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path]) }
        return data.withUnsafeBytes { raw in
            let words = raw.bindMemory(to: UInt32.self)
            let dimension = Int(UInt32(littleEndian: words[0]))
            let row = dimension + 1
            guard dimension > 0, words.count % row == 0 else { return (0, []) }
            var values: [UInt32] = []
            values.reserveCapacity(words.count / row * dimension)
            for start in stride(from: 0, to: words.count, by: row) {
                for k in 1...dimension { values.append(UInt32(littleEndian: words[start + k])) }
            }
            return (dimension, values)
        }
    }
}
