import Foundation
import FunnelTensor

/// A CTR model read back from its artifact, whatever its kind: the manifest's model name picks
/// the type (`kinds`), so that any saved model can be scored on data it never saw.
public struct SavedCTRModel {
    /// The manifest model names a CTR artifact can carry.
    public static let kinds = ["fm", "deepfm", "dcn-v2", "fibinet", "ppnet"]

    public let name: String
    public let version: String
    public let model: any CTRModel
    public let fieldCount: Int
    public let vocabularySize: Int
    public let metrics: [String: Double]

    /// Reads the artifact in `directory`; refuses one whose model is not a CTR model or whose
    /// weights do not fit its manifest.
    public init(directory: URL) throws {
        let saved = try SavedModel(directory: directory)
        let kind = try saved.header().model
        switch kind {
        case "fm", "deepfm":
            try self.init(saved, kind, DeepFM.init) { ($0.fieldCount, $0.vocabularySize) }
        case "dcn-v2":
            try self.init(saved, kind, DCNv2.init) { ($0.fieldCount, $0.vocabularySize) }
        case "fibinet":
            try self.init(saved, kind, FiBiNet.init) { ($0.fieldCount, $0.vocabularySize) }
        case "ppnet":
            try self.init(saved, kind, PPNet.init) { ($0.fieldCount, $0.vocabularySize) }
        default:
            throw ModelArtifactError.invalidManifest(directory.path,
                "'\(kind)' is not a CTR model; expected one of \(Self.kinds.joined(separator: ", "))")
        }
    }

    private init<C: Codable & Sendable, M: CTRModel>(_ saved: SavedModel, _ kind: String, _ make: (C) -> M,
                                                     shape: (C) -> (fields: Int, vocabulary: Int)) throws {
        let (manifest, tensors) = try saved.open(as: kind, configuration: C.self)
        let model = make(manifest.configuration)
        try ModelArtifact.loadWeights(into: model, tensors: tensors)
        (name, version, self.model, metrics) = (kind, manifest.version, model, manifest.metrics)
        (fieldCount, vocabularySize) = shape(manifest.configuration)
    }

}
