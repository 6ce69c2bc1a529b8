@testable import FunnelRetrieval
import FunnelData
import Testing

@Suite struct TopKTests {
    /// The k best by score, ties to the smaller index, against a plain sort; `keep` then `best`
    /// gives the same.
    @Test func bestAndKeepAgreeWithASort() {
        var random = SplitMix64(seed: 5)
        for trial in 0..<50 {
            let count = Int(random.next() % 300)
            // Few distinct scores, so that ties are common; negatives and zero included.
            let scores = (0..<count).map { _ in Float(Int(random.next() % 21) - 10) / 4 }
            var top = TopK()
            for (i, s) in scores.enumerated() { top.add(s, Int32(i)) }
            let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            for k in [0, 1, 7, count / 2, count, count + 3] {
                let (indices, values) = top.best(k)
                #expect(indices == expected.prefix(k).map { Int32($0) }, "trial \(trial), k \(k)")
                #expect(values == expected.prefix(k).map { scores[$0] })
                var kept = top
                kept.keep(k)
                #expect(kept.count == min(k, count))
                #expect(kept.best(k).neighbours == indices)
            }
        }
    }
}
