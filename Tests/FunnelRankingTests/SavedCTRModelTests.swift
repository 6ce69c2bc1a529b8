import Foundation
import FunnelData
import FunnelRanking
import FunnelTensor
import Testing

@Suite struct SavedCTRModelTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("funnel-ctr-\(UUID().uuidString)", isDirectory: true)
    }

    /// Every kind of CTR artifact reads back as the model that was saved: same kind, shape and
    /// logits on data it never saw.
    @Test func everyKindReadsBackAsTheSavedModel() throws {
        let data = DCNv2Tests.parityTask(count: 200, seed: 4)
        var dcn = DCNv2.Configuration(fieldCount: 3, vocabularySize: 25)
        dcn.deep.hiddenUnits = [8]
        var deep = DeepFM.Configuration(fieldCount: 3, vocabularySize: 25)
        deep.deep.hiddenUnits = [8]
        var fibinet = FiBiNet.Configuration(fieldCount: 3, vocabularySize: 25)
        fibinet.deep.hiddenUnits = [8]
        let models: [(String, any CTRModel, any Codable & Sendable)] = [
            ("fm", DeepFM(.factorizationMachine(fieldCount: 3, vocabularySize: 25)), DeepFM.Configuration.factorizationMachine(fieldCount: 3, vocabularySize: 25)),
            ("deepfm", DeepFM(deep), deep), ("dcn-v2", DCNv2(dcn), dcn), ("fibinet", FiBiNet(fibinet), fibinet),
        ]
        for (kind, model, configuration) in models {
            let url = Self.folder()
            defer { try? FileManager.default.removeItem(at: url) }
            try ModelArtifact.save(model, model: kind, version: "test", configuration: configuration, to: url)
            let saved = try SavedCTRModel(directory: url)
            #expect(saved.name == kind && saved.fieldCount == 3 && saved.vocabularySize == 25)
            #expect(CTRTraining.logits(saved.model, on: data) == CTRTraining.logits(model, on: data), "\(kind)")
        }
    }

    /// An artifact of another kind of model is refused with its name.
    @Test func refusesAModelThatIsNotACTRModel() throws {
        let url = Self.folder()
        defer { try? FileManager.default.removeItem(at: url) }
        var generator = SeededGenerator(seed: 1)
        try ModelArtifact.save(Linear(input: 2, output: 1, generator: &generator), model: "two-tower", version: "test", configuration: 1, to: url)
        #expect { try SavedCTRModel(directory: url) } throws: { String(describing: $0).contains("'two-tower' is not a CTR model") }
    }
}
