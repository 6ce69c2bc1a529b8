import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@Suite struct ModelArtifactTests {
    struct Config: Codable, Sendable, Equatable { var hidden = [8, 4]; var rate: Float = 0.1 }

    func model(seed: UInt64) -> MLP {
        var g = SeededGenerator(seed: seed)
        return MLP(input: 5, .init(hiddenUnits: [8, 4], batchNorm: true), generator: &g)
    }

    @Test func saveAndLoadRestoreEveryParameter() throws {
        let dir = try TestData.temporaryDirectory()
        let original = model(seed: 1)
        original.norms[0].runningMean.value.scalars[0] = 3  // saved state that is not trained
        try ModelArtifact.save(original, model: "mlp", version: "7", configuration: Config(), metrics: ["auc": 0.9], to: dir)
        let copy = model(seed: 2)
        try ModelArtifact.loadWeights(into: copy, from: dir)
        for (a, b) in zip(original.namedParameters, copy.namedParameters) {
            #expect(a.name == b.name)
            #expect(a.parameter.value == b.parameter.value, "\(a.name)")
        }
        let manifest = try ModelArtifact.manifest(at: dir, model: "mlp", configuration: Config.self)
        #expect(manifest.model == "mlp" && manifest.version == "7" && manifest.configuration == Config())
        #expect(manifest.metrics["auc"] == 0.9)
        #expect(manifest.parameters["layers.0.weight"] == [5, 8])
    }

    @Test func mismatchedWeightsLeaveTheModelUnchanged() throws {
        let dir = try TestData.temporaryDirectory()
        var g = SeededGenerator(seed: 3)
        try ModelArtifact.save(MLP(input: 5, .init(hiddenUnits: [8, 3], batchNorm: true), generator: &g),
                               model: "mlp", version: "1", configuration: Config(), to: dir)
        let target = model(seed: 4)
        let before = target.namedParameters.map(\.parameter.value)
        #expect(throws: SafeTensorsError.shapeMismatch(name: "layers.1.weight", expected: [8, 4], found: [8, 3])) {
            try ModelArtifact.loadWeights(into: target, from: dir)
        }
        #expect(target.namedParameters.map(\.parameter.value) == before)
    }

    @Test func corruptManifestsAreErrors() throws {
        let dir = try TestData.temporaryDirectory()
        try ModelArtifact.save(model(seed: 1), model: "mlp", version: "1", configuration: Config(), to: dir)
        let url = dir.appendingPathComponent(ModelArtifact.manifestFile)
        let good = try Data(contentsOf: url)
        var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        object["format"] = "other/9"
        let unknownFormat = try JSONSerialization.data(withJSONObject: object)
        for bad in [good.prefix(good.count / 2), Data("{}".utf8), unknownFormat] {
            try bad.write(to: url)
            #expect(throws: ModelArtifactError.self) { try ModelArtifact.manifest(at: dir, model: "mlp", configuration: Config.self) }
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent(ModelArtifact.weightsFile))
        #expect(throws: SafeTensorsError.self) { try ModelArtifact.loadWeights(into: model(seed: 1), from: dir) }
    }

    @Test func anArtifactOfAnotherModelOrShapeIsRefused() throws {
        let window = TrainingWindow(from: Date(timeIntervalSince1970: 0), until: Date(timeIntervalSince1970: 86_400))
        let saved = try SavedModel(model(seed: 1), model: "mlp", version: "1", configuration: Config(), trainingWindow: window)
        #expect(try saved.header().model == "mlp")
        #expect(try saved.open(as: "mlp", configuration: Config.self).manifest.trainingWindow == window)
        #expect(throws: ModelArtifactError.self) { try saved.open(as: "dcn-v2", configuration: Config.self) }
        struct OtherConfig: Codable, Sendable { var experts: Int }
        #expect(throws: ModelArtifactError.self) { try saved.open(as: "mlp", configuration: OtherConfig.self) }
        // Weights that differ from what the manifest lists.
        var tampered = saved
        tampered.weights = try SafeTensors.encode(["layers.0.weight": Tensor(zeros: [5, 7])])
        #expect(throws: SafeTensorsError.self) { try tampered.open(as: "mlp", configuration: Config.self) }
    }
}
