import FunnelStages
import FunnelTensor
import Testing

/// What every `Reranker` must do: call `check` from a test of each conformer.
public enum RerankerContract {
    public static func check(_ reranker: any Reranker, seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        var generator = SeededGenerator(seed: seed)
        let count = 40
        // Relevances with ties, and a symmetric similarity within [0, 1].
        let relevance = (0..<count).map { _ in Double(Int.random(in: 0..<15, using: &generator)) / 15 }
        var similarity = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        for i in 0..<count {
            for j in i..<count {
                let s = i == j ? 1 : Double.random(in: 0...1, using: &generator)
                (similarity[i][j], similarity[j][i]) = (s, s)
            }
        }
        for n in [0, 1, 10, count, count + 5] {
            let order = reranker.order(relevance: relevance, n: n) { similarity[$0][$1] }
            #expect(order.count == min(n, count) && Set(order).count == order.count && order.allSatisfy { (0..<count).contains($0) },
                    "\(reranker.name): \(min(n, count)) distinct candidates for n = \(n)", sourceLocation: sourceLocation)
            #expect(reranker.order(relevance: relevance, n: n) { similarity[$0][$1] } == order,
                    "\(reranker.name): the same input gets the same order", sourceLocation: sourceLocation)
        }
        let byRelevance = relevance.indices.sorted { (relevance[$0], $1) > (relevance[$1], $0) }
        let unrelated = reranker.order(relevance: relevance, n: count) { $0 == $1 ? 1 : 0 }
        #expect(unrelated == byRelevance, "\(reranker.name): with no similarity between candidates, the relevance order",
                sourceLocation: sourceLocation)
        #expect(reranker.order(relevance: [], n: 10) { _, _ in 0 }.isEmpty, "\(reranker.name): no candidates, no order",
                sourceLocation: sourceLocation)
    }
}
