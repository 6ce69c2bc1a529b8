import Foundation
import FunnelIndex
import Testing

/// Int8 scalar quantization: codes within half a step, folded scores equal to the scores of the
/// decoded vectors, recall and memory of a quantized HNSW index, and its file.
@Suite struct QuantizationTests {
    typealias Data = VectorSearchTests

    @Test func codesDecodeWithinHalfAStep() {
        let rows = Data.clustered(500, dimension: 9)
        var training = rows
        for i in training.indices { training[i][4] = 1.5 }   // one dimension holds a single value
        let quantizer = ScalarQuantizer(training: training, metric: .l2)
        #expect(quantizer.step[4] == 0 && quantizer.lower[4] == 1.5)
        var codes = [UInt8](repeating: 0, count: 9), decoded = [Float](repeating: 0, count: 9)
        for row in training {
            quantizer.encode(row, into: &codes)
            quantizer.decode(codes, into: &decoded)
            for j in 0..<9 { #expect(abs(decoded[j] - row[j]) <= quantizer.step[j] / 2 * 1.001 + 1e-6, "dimension \(j)") }
        }
        // Outside the trained range: the nearer end.
        let upper = (0..<9).map { quantizer.lower[$0] + 255 * quantizer.step[$0] }
        quantizer.encode((0..<9).map { j in j % 2 == 0 ? quantizer.lower[j] - 100 : upper[j] + 100 }, into: &codes)
        #expect(codes == (0..<9).map { j in j % 2 == 0 || j == 4 ? 0 : 255 })
    }

    /// Every metric, a dimension with a scalar tail: the exact path of a quantized index scores
    /// each vector as the plain formula scores its decoded vector.
    @Test(arguments: VectorMetric.allCases)
    func foldedScoresEqualDecodedScores(metric: VectorMetric) {
        let data = Data.clustered(400, dimension: 37)
        let index = HNSWIndex(dimension: 37, metric: metric, parameters: .init(m: 8, efConstruction: 40),
                              quantizer: ScalarQuantizer(training: data, metric: metric))
        index.add(contentsOf: data, threads: 1)
        let decoded = (0..<Int32(400)).map(index.vector)
        var everything = Bitset(count: 400)
        for i in 0..<400 { everything[i] = true }
        for query in Data.clustered(10, dimension: 37, seed: 5) {
            let got = index.search(query, k: 15, filter: VectorFilter(everything), exactBelow: .max)
            // Decoded cosine vectors are close to unit length, not exactly: score them as stored.
            let expected = Data.bruteForce(decoded, metric.prepare(query), metric: metric == .cosine ? .innerProduct : metric, k: 15)
            #expect(Data.sameScores(got, expected, tolerance: 1e-4), "\(metric)")
            #expect(got.map(\.id) == expected.map(\.id), "\(metric)")
        }
    }

    @Test(arguments: VectorMetric.allCases)
    func quantizedGraphKeepsRecallInAQuarterOfTheVectorMemory(metric: VectorMetric) {
        let data = Data.clustered(4_000, dimension: 64, clusters: 40)
        let parameters = HNSWIndex.Parameters(m: 12, efConstruction: 100)
        let quantized = HNSWIndex(dimension: 64, metric: metric, parameters: parameters, capacity: 4_000,
                                  quantizer: ScalarQuantizer(training: data, metric: metric))
        let plain = HNSWIndex(dimension: 64, metric: metric, parameters: parameters, capacity: 4_000)
        quantized.add(contentsOf: data, threads: 2)
        plain.add(contentsOf: data, threads: 2)
        let queries = Data.clustered(60, dimension: 64, clusters: 40, seed: 8)
        let ef = metric == .innerProduct ? 200 : 100
        var recall = 0.0, plainRecall = 0.0
        for query in queries {
            let truth = Data.bruteForce(data, query, metric: metric, k: 10)   // on the float vectors
            recall += Data.recall(quantized.search(query, k: 10, ef: ef), truth)
            plainRecall += Data.recall(plain.search(query, k: 10, ef: ef), truth)
        }
        recall /= Double(queries.count)
        plainRecall /= Double(queries.count)
        #expect(recall >= 0.9 && recall >= plainRecall - 0.03, "recall@10 \(recall) quantized, \(plainRecall) float, \(metric)")
        // Per node: 64 bytes of codes against 256 of floats and 4 of norm; 100 bytes of layer-0 links in both.
        let ratio = Double(quantized.memoryBytes) / Double(plain.memoryBytes)
        #expect(ratio < 0.5, "quantized index holds \(ratio) of the float index's memory")
    }

    @Test func quantizedIndexSavesLoadsAndHonoursFilters() throws {
        let data = Data.clustered(2_000, dimension: 24)
        let index = HNSWIndex(dimension: 24, metric: .l2, parameters: .init(m: 8, efConstruction: 60),
                              quantizer: ScalarQuantizer(training: Array(data.prefix(500)), metric: .l2))
        for v in data { index.add(v) }
        for id in stride(from: 0, to: 2_000, by: 9) { index.delete(Int32(id)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-sq-\(UUID().uuidString).index")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.write(to: url)
        let loaded = try HNSWIndex(contentsOf: url)
        #expect(loaded.quantizer == index.quantizer && loaded.count == 2_000)
        #expect((0..<Int32(2_000)).allSatisfy { loaded.vector($0) == index.vector($0) && loaded.neighbours(of: $0) == index.neighbours(of: $0) })
        var allowed = Bitset(count: 2_000)
        for i in stride(from: 1, to: 2_000, by: 3) { allowed[i] = true }
        var narrow = Bitset(count: 2_000)
        for i in stride(from: 5, to: 2_000, by: 100) { narrow[i] = true }
        for query in Data.clustered(20, dimension: 24, seed: 4) {
            #expect(loaded.search(query, k: 10, ef: 50) == index.search(query, k: 10, ef: 50))
            for filter in [allowed, narrow] {   // the graph, then the exact path
                let got = loaded.search(query, k: 10, ef: 50, filter: VectorFilter(filter))
                #expect(got.count == min(10, (0..<2_000).filter { filter[$0] && $0 % 9 != 0 }.count))
                #expect(got.allSatisfy { filter[Int($0.id)] && $0.id % 9 != 0 })
            }
        }
        let added = loaded.add(data[0].map { $0 + 0.001 })
        #expect(loaded.search(data[0], k: 1, ef: 50).first?.id == added, "the deleted original's twin is found")
        let (compacted, original) = loaded.compacted(threads: 2)
        #expect(compacted.quantizer == index.quantizer && compacted.count == original.count)
    }
}
