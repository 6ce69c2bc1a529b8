import FunnelRanking
import FunnelStages
import FunnelTensor
import Testing

/// Every parameter's gradient of `network`'s summed logits over the dense rows `x` and the
/// id slots `slots`, against central differences.
func expectMultiTaskGradientsMatch(_ network: MultiTaskNetwork, x: Tensor, slots: [Int32], sourceLocation: SourceLocation = #_sourceLocation) {
    func logits(_ graph: Graph) -> Node { network.logits(network.input(graph.constant(x), slots: slots), gateDropout: 0) }
    expectParameterGradientsMatch(network, stride: 1, sourceLocation: sourceLocation) {
        let graph = Graph(mode: .training)
        graph.backward(logits(graph).sum())
    } total: {
        Double(logits(Graph(mode: .inference)).value.scalars.reduce(0, +))
    }
}

/// The serving logits of `ranker` and of each of `others` (the same model loaded again) for
/// each of `batches` (rows of `width` features) match `ranker`'s graph in inference, within a
/// relative difference of 1e-5.
func expectServingMatchesGraph(_ ranker: MultiTaskRanker, _ others: [MultiTaskRanker] = [], width: Int, batches: [[Float]],
                               sourceLocation: SourceLocation = #_sourceLocation) {
    for batch in batches.map({ RankingBatch(width: width, features: $0) }) {
        let expected = ranker.logits(batch, in: Graph(mode: .inference)).value.scalars
        for model in [ranker] + others {
            let forward = Workspace.borrow { model.logits(batch, in: $0).scalars }
            let worst = zip(forward, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            #expect(forward.count == expected.count && worst <= 1e-5, "largest relative difference \(worst)", sourceLocation: sourceLocation)
        }
    }
}
