import Foundation

/// Reading and writing the safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping names to `{dtype, shape, data_offsets}` (plus optional `__metadata__`
/// strings), then the raw little-endian data.
///
/// Funnel writes F32. It reads F32, F64, F16 and BF16 (converted to Float32); every other
/// dtype, and any malformed file, is a `SafeTensorsError` naming what is wrong.
public enum SafeTensors {
    /// Headers larger than this are rejected before allocation (the reference limit is 100 MB).
    public static let maximumHeaderSize = 100_000_000

    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard name != "__metadata__" else { throw SafeTensorsError.invalidHeader("a tensor may not be named __metadata__") }
            let t = tensors[name]!
            let bytes = t.count * 4
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.scalars.withUnsafeBufferPointer { p in
                #if _endian(big)
                for x in p { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #else
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self), count: p.count * 4))
                #endif
            }
        }
        return data
    }

    /// Writes atomically: a reader never sees a half-written file.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try encode(tensors, metadata: metadata).write(to: url, options: .atomic)
    }

    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError.unreadable(url.path, error.localizedDescription)
        }
        return try decode(data)
    }

    public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw SafeTensorsError.truncated("file has \(data.count) bytes, fewer than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maximumHeaderSize) else { throw SafeTensorsError.invalidHeader("header length \(headerLength) exceeds \(maximumHeaderSize) bytes") }
        guard 8 + Int(headerLength) <= data.count else {
            throw SafeTensorsError.truncated("header length \(headerLength) runs past the end of the \(data.count)-byte file")
        }
        let headerData = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(headerLength)))
        guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
            throw SafeTensorsError.invalidHeader("header is not a JSON object")
        }
        let body = data.startIndex + 8 + Int(headerLength)
        let bodyLength = data.count - 8 - Int(headerLength)
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let m = entry as? [String: String] else { throw SafeTensorsError.invalidHeader("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), shape.count == (info["shape"] as? [Any])?.count,
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2 else {
                throw SafeTensorsError.invalidHeader("entry '\(name)' lacks a dtype, shape or two data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw SafeTensorsError.invalidHeader("tensor '\(name)' has a negative dimension in \(shape)") }
            let (start, end) = (offsets[0], offsets[1])
            guard start >= 0, start <= end, end <= bodyLength else {
                throw SafeTensorsError.truncated("tensor '\(name)' spans bytes \(start)..<\(end) but the data holds \(bodyLength)")
            }
            let elementSize: Int
            switch dtype {
            case "F32": elementSize = 4
            case "F64": elementSize = 8
            case "F16", "BF16": elementSize = 2
            default: throw SafeTensorsError.unsupportedDType(name: name, dtype: dtype)
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, count.multipliedReportingOverflow(by: elementSize) == (count * elementSize, false),
                  count * elementSize == end - start else {
                throw SafeTensorsError.invalidHeader("tensor '\(name)' of shape \(shape) and dtype \(dtype) does not fill \(end - start) bytes")
            }
            ranges.append((start, end, name))
            let bytes = data.subdata(in: (body + start)..<(body + end))
            tensors[name] = Tensor(shape: shape, scalars: convert(bytes, dtype: dtype, count: count))
        }
        ranges.sort { ($0.0, $0.1) < ($1.0, $1.1) }  // a zero-byte tensor sorts before one starting at its offset
        var position = 0
        for (start, end, name) in ranges {
            guard start == position else { throw SafeTensorsError.invalidHeader("tensor '\(name)' starts at byte \(start); expected \(position) (gaps or overlaps are not allowed)") }
            position = end
        }
        guard position == bodyLength else { throw SafeTensorsError.invalidHeader("data section has \(bodyLength) bytes but tensors cover \(position)") }
        return (tensors, metadata)
    }

    static func convert(_ bytes: Data, dtype: String, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    switch dtype {
                    case "F32": out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    case "F64": out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case "BF16": out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                    default: out[i] = halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                    }
                }
                initialized = count
            }
        }
    }

    /// IEEE 754 binary16 to Float32.
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F), mantissa = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24  // subnormal: mantissa · 2^-14 / 1024
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case truncated(String)
    case invalidHeader(String)
    case unsupportedDType(name: String, dtype: String)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read safetensors file \(path): \(reason)"
        case let .truncated(detail): "truncated safetensors file: \(detail)"
        case let .invalidHeader(detail): "invalid safetensors header: \(detail)"
        case let .unsupportedDType(name, dtype): "tensor '\(name)' has dtype \(dtype); supported: F32, F64, F16, BF16"
        case let .missingTensor(name): "the file has no tensor '\(name)'"
        case let .shapeMismatch(name, expected, found): "tensor '\(name)' has shape \(found) in the file but the model expects \(expected)"
        }
    }
}
