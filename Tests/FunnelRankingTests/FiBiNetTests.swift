import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor
import Testing

@Suite struct FiBiNetTests {
    /// SENet scales each field's vector by a weight computed from the fields' means, both
    /// layers followed by ReLU; by hand on one row, graph and serving path.
    @Test func senetByHand() {
        var generator = SeededGenerator(seed: 12)
        let (fields, k) = (3, 2)
        let senet = SENet(fields: fields, reduction: 3, generator: &generator)
        let v: [Float] = [1, 3, -2, 0, 0.5, 0.5]
        // Means 2, −1, 0.5; one hidden unit (3 / 3).
        let s = senet.squeeze.weight.value.scalars, e = senet.excite.weight.value.scalars
        let hidden = max(0, 2 * s[0] - 1 * s[1] + 0.5 * s[2])
        let weights = e.map { max(0, hidden * $0) }
        let expected = (0..<(fields * k)).map { v[$0] * weights[$0 / k] }
        let graph = Graph(mode: .inference)
        let reweighted = senet(graph.constant(Tensor(shape: [1, fields, k], scalars: v))).value.scalars
        #expect(zip(reweighted, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(reweighted) vs \(expected)")
        Workspace.borrow { workspace in
            let served = senet.forward(workspace.matrix(rows: 1, copying: v), in: workspace).scalars
            #expect(zip(served, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    /// (v_i W) ⊙ v_j for every pair, with W the shared matrix, field i's or pair (i, j)'s: by
    /// hand on two rows for each kind, graph and serving path; and the gradients of the
    /// matrices and the embeddings against central differences of that sum.
    @Test(arguments: BilinearInteraction.Kind.allCases)
    func bilinearInteractionByHandAndItsGradients(_ kind: BilinearInteraction.Kind) {
        var generator = SeededGenerator(seed: 3)
        let (batch, fields, k) = (2, 4, 3)
        let bilinear = BilinearInteraction(kind: kind, fields: fields, dimension: k, generator: &generator)
        let v = Tensor.randomNormal(shape: [batch, fields, k], generator: &generator)
        let probe = Tensor.randomNormal(shape: [batch, bilinear.pairCount, k], generator: &generator)
        func byHand(_ x: [Float], _ w: [Float]) -> [Float] {
            var out: [Float] = []
            for r in 0..<batch {
                var p = 0
                for i in 0..<fields {
                    for j in (i + 1)..<fields {
                        // Matrix m is column block m of the [k, matrices·k] weights.
                        let m = kind == .fieldAll ? 0 : kind == .fieldEach ? i : p
                        let stride = bilinear.weights.shape[1]
                        for d in 0..<k {
                            let projected = (0..<k).reduce(Float(0)) { $0 + x[(r * fields + i) * k + $1] * w[$1 * stride + m * k + d] }
                            out.append(projected * x[(r * fields + j) * k + d])
                        }
                        p += 1
                    }
                }
            }
            return out
        }
        func probed(_ x: [Float], _ w: [Float]) -> Double {
            zip(byHand(x, w), probe.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let embeddings = Parameter(v)
        let graph = Graph(mode: .training)
        let out = bilinear(graph.parameter(embeddings))
        let expected = byHand(v.scalars, bilinear.weights.value.scalars)
        #expect(out.shape == [batch, bilinear.pairCount, k])
        #expect(zip(out.value.scalars, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(kind) graph")
        Workspace.borrow { workspace in
            let served = bilinear.forward(workspace.matrix(rows: batch, copying: v.scalars), in: workspace).scalars
            #expect(zip(served, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "\(kind) serving")
        }

        graph.backward((out * graph.constant(probe)).sum())
        let epsilon: Float = 1e-2
        let w = bilinear.weights.value.scalars
        for i in stride(from: 0, to: w.count, by: 5) {
            var up = w, down = w
            up[i] += epsilon
            down[i] -= epsilon
            let numeric = (probed(v.scalars, up) - probed(v.scalars, down)) / Double(2 * epsilon)
            #expect(abs(Double(bilinear.weights.gradient!.scalars[i]) - numeric) < 1e-2, "\(kind) weight \(i)")
        }
        for i in 0..<v.count {
            var up = v.scalars, down = v.scalars
            up[i] += epsilon
            down[i] -= epsilon
            let numeric = (probed(up, w) - probed(down, w)) / Double(2 * epsilon)
            #expect(abs(Double(embeddings.gradient!.scalars[i]) - numeric) < 1e-2, "\(kind) embedding \(i)")
        }
    }

    /// The parity of two fields is a pure pairwise cross (see `DCNv2Tests`): FiBiNet fits it
    /// with each kind of bilinear interaction, and its serving path is the graph's.
    @Test(arguments: BilinearInteraction.Kind.allCases)
    func learnsAPairwiseCrossAndServesAsTheGraph(_ kind: BilinearInteraction.Kind) {
        var configuration = FiBiNet.Configuration(fieldCount: 3, vocabularySize: 25)
        configuration.embeddingDimension = 4
        configuration.bilinear = kind
        configuration.deep = .init(hiddenUnits: [32, 32], dropout: 0, batchNorm: false)
        configuration.embeddingL2 = 0
        let auc = DCNv2Tests.parityAUC(FiBiNet(configuration))
        #expect(auc > 0.95, "FiBiNet (\(kind)) AUC \(auc)")

        var wide = FiBiNet.Configuration(fieldCount: 4, vocabularySize: 50)
        wide.bilinear = kind
        wide.deep.hiddenUnits = [32, 16]
        let served = FiBiNet(wide)
        served.linear.bias.value = Tensor(shape: [1], scalars: [0.3])
        CTRForwardPathTests.expectForwardIsTheGraphs(served, tables: [served.embedding.table, served.linear.weights.table], norms: served.deep.norms)
    }
}
