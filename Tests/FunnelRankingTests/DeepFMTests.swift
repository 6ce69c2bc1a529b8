import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor
import Testing

@Suite struct DeepFMTests {
    /// The O(fields · k) form against the pairwise sum it stands for, and its gradient against
    /// central differences of that sum.
    @Test func interactionsAreThePairwiseDotProducts() {
        var generator = SeededGenerator(seed: 8)
        let (batch, fields, k) = (3, 5, 4)
        let v = Tensor.randomNormal(shape: [batch, fields, k], generator: &generator)
        func pairwise(_ x: [Float], row r: Int) -> Double {
            var total = 0.0
            for i in 0..<fields { for j in (i + 1)..<fields { for d in 0..<k {
                total += Double(x[(r * fields + i) * k + d]) * Double(x[(r * fields + j) * k + d])
            } } }
            return total
        }
        let parameter = Parameter(v)
        let graph = Graph(mode: .training)
        let out = FactorizationMachine.interactions(graph.parameter(parameter))
        for r in 0..<batch { #expect(abs(Double(out.value.scalars[r]) - pairwise(v.scalars, row: r)) < 1e-4) }
        graph.backward(out.sum())
        let epsilon: Float = 1e-2
        for i in stride(from: 0, to: v.count, by: 7) {
            var up = v.scalars, down = v.scalars
            up[i] += epsilon
            down[i] -= epsilon
            let numeric = (0..<batch).reduce(0.0) { $0 + pairwise(up, row: $1) - pairwise(down, row: $1) } / Double(2 * epsilon)
            #expect(abs(Double(parameter.gradient!.scalars[i]) - numeric) < 1e-2, "element \(i)")
        }
        // Serving's loop gives the same sums.
        let rows = Workspace.borrow { workspace -> [Float] in
            let m = workspace.matrix(rows: batch, copying: v.scalars)
            var sums = [Float](repeating: 0, count: batch)
            sums.withUnsafeMutableBufferPointer { FactorizationMachine.addInteractions(m, fields: fields, to: $0.baseAddress!) }
            return sums
        }
        #expect(zip(rows, out.value.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    /// The parity of two fields is a pure pairwise cross: the FM and DeepFM fit it, where no
    /// additive model can (see `DCNv2Tests`).
    @Test func fmAndDeepFMLearnAPairwiseCross() {
        let train = DCNv2Tests.parityTask(count: 4000, seed: 1), validation = DCNv2Tests.parityTask(count: 1000, seed: 2)
        var fm = DeepFM.Configuration.factorizationMachine(fieldCount: 3, vocabularySize: 25)
        fm.embeddingDimension = 4
        fm.embeddingL2 = 0
        var deep = DeepFM.Configuration(fieldCount: 3, vocabularySize: 25)
        deep.embeddingDimension = 4
        deep.deep = .init(hiddenUnits: [32, 32], dropout: 0, batchNorm: false)
        deep.embeddingL2 = 0
        for configuration in [fm, deep] {
            let model = DeepFM(configuration)
            CTRTraining.fit(model, train: train, validation: validation,
                            configuration: TrainingConfiguration(epochs: 40, batchSize: 256, learningRate: 0.01, patience: 5))
            let auc = CTRTraining.evaluate(model, on: validation).auc
            #expect(auc > 0.95, "\(configuration.deep.hiddenUnits.isEmpty ? "FM" : "DeepFM") AUC \(auc)")
        }
    }

    @Test(arguments: [false, true])
    func forwardIsTheGraphs(_ withDeepPart: Bool) {
        var configuration = withDeepPart ? DeepFM.Configuration(fieldCount: 4, vocabularySize: 50)
            : .factorizationMachine(fieldCount: 4, vocabularySize: 50)
        configuration.deep.hiddenUnits = withDeepPart ? [32, 16] : []
        let model = DeepFM(configuration)
        model.linear.bias.value = Tensor(shape: [1], scalars: [0.3])
        CTRForwardPathTests.expectForwardIsTheGraphs(model, tables: [model.embedding.table, model.linear.weights.table], norms: model.deep?.norms ?? [])
    }
}
