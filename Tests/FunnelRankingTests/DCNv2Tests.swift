import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor
import FunnelTestSupport
import Testing

@Suite struct DCNv2Tests {
    /// A synthetic task only a feature cross solves: the label is 1 when the ids of two fields
    /// have the same parity (an XOR), which no additive model can fit.
    static func parityTask(count: Int, seed: UInt64) -> FieldDataset {
        var g = SeededGenerator(seed: seed)
        var ids: [Int32] = [], labels: [Float] = []
        for _ in 0..<count {
            let a = g.nextInt(below: 10), b = g.nextInt(below: 10)
            ids += [Int32(a), Int32(10 + b), Int32(20 + g.nextInt(below: 5))]
            labels.append(a % 2 == b % 2 ? 1 : 0)
        }
        return FieldDataset(fieldCount: 3, ids: ids, labels: labels, vocabularySize: 25)
    }

    /// Full rank and rank 2 (of a 12-wide x_0) both fit the parity cross.
    @Test(arguments: [nil, 2] as [Int?])
    func learnsACrossThatLogisticRegressionCannot(_ rank: Int?) {
        let train = Self.parityTask(count: 4000, seed: 1), validation = Self.parityTask(count: 1000, seed: 2)
        var config = DCNv2.Configuration(fieldCount: 3, vocabularySize: 25)
        config.embeddingDimension = 4
        config.crossRank = rank
        config.deep = .init(hiddenUnits: [32, 32], dropout: 0, batchNorm: false)
        config.embeddingL2 = 0
        let dcn = DCNv2(config)
        let training = TrainingConfiguration(epochs: 30, batchSize: 256, learningRate: 0.01, patience: 5)
        CTRTraining.fit(dcn, train: train, validation: validation, configuration: training)
        let lr = LogisticRegression(.init(fieldCount: 3, vocabularySize: 25))
        CTRTraining.fit(lr, train: train, validation: validation, configuration: training)
        let dcnAUC = CTRTraining.evaluate(dcn, on: validation).auc, lrAUC = CTRTraining.evaluate(lr, on: validation).auc
        #expect(dcnAUC > 0.99, "DCN-v2 AUC \(dcnAUC)")
        #expect(lrAUC < 0.6, "logistic regression AUC \(lrAUC)")
    }

    /// A low-rank cross layer is x_0 ⊙ (x V Uᵀ + b) + x, by hand on one row, with U and V
    /// the layer's two maps; its parameters are the full-rank layer's plus the projections.
    /// `model`'s validation AUC on the parity task after training at learning rate 0.01.
    static func parityAUC(_ model: some CTRModel, epochs: Int = 40) -> Double {
        let train = parityTask(count: 4000, seed: 1), validation = parityTask(count: 1000, seed: 2)
        CTRTraining.fit(model, train: train, validation: validation,
                        configuration: TrainingConfiguration(epochs: epochs, batchSize: 256, learningRate: 0.01, patience: 5))
        return CTRTraining.evaluate(model, on: validation).auc
    }

    @Test func lowRankCrossLayerByHand() {
        var generator = SeededGenerator(seed: 6)
        let cross = CrossNetwork(dimension: 3, depth: 1, rank: 1, generator: &generator)
        #expect(cross.rank == 1 && Set(cross.namedParameters.map(\.name)) == ["layers.0.weight", "layers.0.bias", "projections.0.weight"])
        let x: [Float] = [0.5, -1, 2]
        let v = cross.projections[0].weight.value.scalars, u = cross.layers[0].weight.value.scalars
        let b = cross.layers[0].bias!.value.scalars
        let projected = zip(x, v).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let expected = (0..<3).map { x[$0] * (projected * u[$0] + b[$0]) + x[$0] }
        let graph = Graph(mode: .inference)
        let out = cross(graph.constant(Tensor(shape: [1, 3], scalars: x))).value.scalars
        #expect(zip(out, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(out) vs \(expected)")
        let served = Workspace.borrow { cross.forward($0.matrix(rows: 1, copying: x), in: $0).scalars }
        #expect(zip(served, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// On Frappe (BARS Frappe_x1) DCN-v2 must reach validation AUC ≥ 0.978 within 10 epochs
    /// (BARS: 0.9848 validation, 0.9845 test) and clearly beat logistic regression.
    @Test(.enabled(if: TestData.frappe != nil, "Frappe \(TestData.missingMessage)"))
    func frappeQuality() throws {
        let frappe = try Frappe.load(from: TestData.frappe!)
        let dcn = DCNv2(DCNv2.Configuration(fieldCount: 10, vocabularySize: Frappe.vocabularySize))
        CTRTraining.fit(dcn, train: frappe.train, validation: frappe.validation,
                        configuration: TrainingConfiguration(epochs: 10, batchSize: 4096, learningRate: 1e-3))
        let lr = LogisticRegression(.init(fieldCount: 10, vocabularySize: Frappe.vocabularySize))
        CTRTraining.fit(lr, train: frappe.train, validation: frappe.validation,
                        configuration: TrainingConfiguration(epochs: 10, batchSize: 4096, learningRate: 1e-2))
        let dcnResult = CTRTraining.evaluate(dcn, on: frappe.validation)
        let lrResult = CTRTraining.evaluate(lr, on: frappe.validation)
        #expect(dcnResult.auc >= 0.978, "DCN-v2 validation AUC \(dcnResult.auc), log loss \(dcnResult.logLoss)")
        #expect(dcnResult.auc > lrResult.auc + 0.02, "DCN-v2 \(dcnResult.auc) vs logistic regression \(lrResult.auc)")
        #expect(dcnResult.logLoss < lrResult.logLoss)
    }
}

/// The CTR models score through the forward-only path as through the graph.
@Suite struct CTRForwardPathTests {
    /// Random tables and batch-norm statistics in `model`, then its two paths on 33 rows of
    /// random ids over 4 fields of 50 ids.
    static func expectForwardIsTheGraphs(_ model: some CTRModel, tables: [Parameter], norms: [BatchNorm]) {
        var generator = SeededGenerator(seed: 4)
        for table in tables { table.value = .randomNormal(shape: table.shape, generator: &generator) }
        for norm in norms {
            norm.runningMean.value = .randomNormal(shape: norm.runningMean.shape, generator: &generator)
            norm.runningVariance.value = Tensor.randomNormal(shape: norm.runningVariance.shape, generator: &generator).map { abs($0) + 0.5 }
        }
        let batch = 33
        let ids = (0..<(batch * 4)).map { _ in Int32(generator.nextInt(below: 50)) }
        let expected = model.logits(ids: ids, batch: batch, in: Graph(mode: .inference)).value.scalars
        let forward = Workspace.borrow { model.logits(ids: ids, batch: batch, in: $0).scalars }
        let worst = zip(forward, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
        #expect(forward.count == batch && worst <= 1e-5, "largest relative difference \(worst)")
    }

    @Test(arguments: [DCNv2.Configuration.Structure.parallel, .stacked], [nil, 5] as [Int?])
    func dcnV2ForwardIsTheGraphs(_ structure: DCNv2.Configuration.Structure, _ rank: Int?) {
        var configuration = DCNv2.Configuration(fieldCount: 4, vocabularySize: 50)
        configuration.structure = structure
        configuration.crossRank = rank
        configuration.deep.hiddenUnits = [32, 16]
        let model = DCNv2(configuration)
        Self.expectForwardIsTheGraphs(model, tables: [model.embedding.table], norms: model.deep.norms)
    }

    @Test func logisticRegressionForwardIsTheGraphs() {
        let model = LogisticRegression(.init(fieldCount: 3, vocabularySize: 10))
        var generator = SeededGenerator(seed: 9)
        model.weights.table.value = .randomNormal(shape: model.weights.table.shape, generator: &generator)
        model.bias.value = Tensor(shape: [1], scalars: [0.3])
        let ids: [Int32] = [0, 4, 9, 1, 2, 3]
        let expected = model.logits(ids: ids, batch: 2, in: Graph(mode: .inference)).value.scalars
        let forward = Workspace.borrow { model.logits(ids: ids, batch: 2, in: $0).scalars }
        #expect(zip(forward, expected).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(forward) vs \(expected)")
    }
}
