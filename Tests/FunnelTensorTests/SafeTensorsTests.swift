import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@Suite struct SafeTensorsTests {
    static let sample: [String: Tensor] = {
        var r = Random(11)
        return ["layer.weight": r.tensor([4, 3]), "layer.bias": r.tensor([3]), "scalar": Tensor(1.5), "empty": Tensor(zeros: [0, 4])]
    }()

    @Test func roundTrip() throws {
        let data = try SafeTensors.encode(Self.sample, metadata: ["model": "test"])
        let (tensors, metadata) = try SafeTensors.decode(data)
        #expect(tensors == Self.sample)
        #expect(metadata == ["model": "test"])
        // The header is padded so the data section starts 8-byte aligned.
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
    }

    @Test func everyTruncationIsAnError() throws {
        let data = try SafeTensors.encode(Self.sample)
        for cut in stride(from: 0, to: data.count, by: 3) {
            #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(data.prefix(cut)) }
        }
    }

    @Test func malformedHeadersAreErrors() throws {
        func file(_ header: String, body: Int) -> Data {
            var d = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
            d.append(Data(header.utf8))
            d.append(Data(count: body))
            return d
        }
        let cases: [(Data, String)] = [
            (file("not json", body: 0), "header is not a JSON object"),
            (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, body: 12), "does not fill"),
            (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, body: 4), "spans bytes"),
            (file(#"{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#, body: 2), "dtype I8"),
            (file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, body: 4), "negative dimension"),
            (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, body: 4), "gaps or overlaps"),
            (file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, body: 8), "tensors cover 4"),
            (file(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, body: 4), "does not fill"),
            (file(#"{"__metadata__":{"k":1}}"#, body: 0), "__metadata__"),
        ]
        for (data, fragment) in cases {
            do {
                _ = try SafeTensors.decode(data)
                Issue.record("decoded a malformed file that should mention '\(fragment)'")
            } catch let error as SafeTensorsError {
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
        var huge = Data()
        withUnsafeBytes(of: UInt64.max.littleEndian) { huge.append(contentsOf: $0) }
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(huge) }
    }

    /// Random corruption never crashes the reader: it decodes or throws.
    @Test func corruptedBytesNeverCrash() throws {
        let data = try SafeTensors.encode(Self.sample)
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<500 {
            var corrupted = data
            for _ in 0..<(1 + generator.nextInt(below: 4)) {
                corrupted[generator.nextInt(below: corrupted.count)] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? SafeTensors.decode(corrupted)
        }
    }

    @Test func halfAndBrainFloatConversions() {
        #expect(SafeTensors.halfToFloat(0x3C00) == 1)
        #expect(SafeTensors.halfToFloat(0xC000) == -2)
        #expect(SafeTensors.halfToFloat(0x7BFF) == 65504)
        #expect(SafeTensors.halfToFloat(0x0001) == Float(0x1p-24))
        #expect(SafeTensors.halfToFloat(0x7C00) == .infinity)
        #expect(SafeTensors.halfToFloat(0x7E00).isNaN)
    }

    @Test(.enabled(if: PythonPeer.available("safetensors", "numpy"), "Python safetensors or numpy missing (pip install safetensors numpy)"))
    func pythonReadsFunnelFiles() throws {
        let dir = try TestData.temporaryDirectory()
        let path = dir.appendingPathComponent("funnel.safetensors")
        try SafeTensors.write(Self.sample, metadata: ["writer": "funnel"], to: path)
        let expected = Self.sample.mapValues { ["shape": $0.shape.map(Double.init), "values": $0.scalars.map(Double.init)] }
        let expectedPath = dir.appendingPathComponent("expected.json")
        try JSONSerialization.data(withJSONObject: expected).write(to: expectedPath)
        let result = try PythonPeer.run([PythonPeer.script("safetensors_interop.py"), "read", path.path, expectedPath.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#""writer": "funnel""#), "\(result.output)")
    }

    @Test(.enabled(if: PythonPeer.available("safetensors", "numpy"), "Python safetensors or numpy missing (pip install safetensors numpy)"))
    func funnelReadsPythonFiles() throws {
        let dir = try TestData.temporaryDirectory()
        let path = dir.appendingPathComponent("python.safetensors")
        let result = try PythonPeer.run([PythonPeer.script("safetensors_interop.py"), "write", path.path])
        try #require(result.status == 0, "\(result.output)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: [String: [Double]]])
        let (tensors, metadata) = try SafeTensors.read(from: path)
        #expect(metadata == ["writer": "python"])
        #expect(Set(tensors.keys) == Set(expected.keys))
        for (name, spec) in expected {
            let t = try #require(tensors[name])
            #expect(t.shape == spec["shape"]!.map { Int($0) }, "\(name)")
            #expect(t.scalars == spec["values"]!.map { Float($0) }, "\(name)")
        }
    }
}
