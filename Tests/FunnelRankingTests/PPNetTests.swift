import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor
import Testing

@Suite struct PPNetTests {
    /// The gate is 2·sigmoid(W₂ ReLU(W₁ x + b₁) + b₂), by hand on one row, graph and serving.
    @Test func gateByHand() {
        var generator = SeededGenerator(seed: 2)
        let gate = LHUCGate(input: 2, hidden: 2, units: 3, generator: &generator)
        let x: [Float] = [0.7, -1.2]
        let w1 = gate.hidden.weight.value.scalars, b1 = gate.hidden.bias!.value.scalars
        let w2 = gate.output.weight.value.scalars, b2 = gate.output.bias!.value.scalars
        let h = (0..<2).map { j in max(0, x[0] * w1[j] + x[1] * w1[2 + j] + b1[j]) }
        let expected = (0..<3).map { u in 2 / (1 + exp(-(h[0] * w2[u] + h[1] * w2[3 + u] + b2[u]))) }
        let graph = Graph(mode: .inference)
        let out = gate(graph.constant(Tensor(shape: [1, 2], scalars: x))).value.scalars
        #expect(zip(out, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(out) vs \(expected)")
        let served = Workspace.borrow { gate.forward($0.matrix(rows: 1, copying: x), in: $0).scalars }
        #expect(zip(served, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// The gradients of the gates, the deep network and the head against central differences of
    /// the summed logits (no dropout, no batch norm, so the graph is a fixed function). The
    /// embeddings are left out: the gates read them with their gradient stopped, on purpose,
    /// so their gradient is not the full derivative.
    @Test func gradientsMatchCentralDifferences() {
        var configuration = PPNet.Configuration(fieldCount: 3, vocabularySize: 12)
        configuration.embeddingDimension = 3
        configuration.gateHiddenUnits = 4
        configuration.deep = .init(hiddenUnits: [5, 4], activation: .tanh, dropout: 0, batchNorm: false)
        configuration.embeddingL2 = 0
        let model = PPNet(configuration)
        var generator = SeededGenerator(seed: 5)
        model.embedding.table.value = .randomNormal(shape: model.embedding.table.shape, generator: &generator)
        let ids: [Int32] = [0, 4, 8, 1, 5, 9, 0, 6, 11]
        expectParameterGradientsMatch(model, stride: 3, skip: { $0.hasPrefix("embedding") }) {
            let graph = Graph(mode: .training)
            graph.backward(model.logits(ids: ids, batch: 3, in: graph).sum())
        } total: {
            Double(model.logits(ids: ids, batch: 3, in: Graph(mode: .inference)).value.scalars.reduce(0, +))
        }
    }

    /// PPNet fits the parity cross, its serving path is the graph's, and the artifact reads
    /// back as the same model.
    @Test func learnsAPairwiseCrossServesAsTheGraphAndReadsBack() throws {
        var configuration = PPNet.Configuration(fieldCount: 3, vocabularySize: 25)
        configuration.embeddingDimension = 4
        configuration.gateHiddenUnits = 8
        configuration.deep = .init(hiddenUnits: [32, 32], dropout: 0, batchNorm: false)
        configuration.embeddingL2 = 0
        let model = PPNet(configuration)
        let auc = DCNv2Tests.parityAUC(model)
        #expect(auc > 0.95, "PPNet AUC \(auc)")

        let url = SavedCTRModelTests.folder()
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelArtifact.save(model, model: "ppnet", version: "test", configuration: configuration, to: url)
        let validation = DCNv2Tests.parityTask(count: 1000, seed: 2)
        #expect(CTRTraining.logits(try SavedCTRModel(directory: url).model, on: validation) == CTRTraining.logits(model, on: validation))

        var wide = PPNet.Configuration(fieldCount: 4, vocabularySize: 50)
        wide.personalFields = [0, 2]
        wide.deep.hiddenUnits = [32, 16]
        let served = PPNet(wide)
        CTRForwardPathTests.expectForwardIsTheGraphs(served, tables: [served.embedding.table], norms: served.deep.norms)
    }
}
