import Foundation

/// What a saved model says about itself, written beside its weights as `manifest.json`.
public struct ModelManifest<Configuration: Codable & Sendable>: Codable, Sendable {
    /// The manifest format; readers reject formats they do not know.
    public var format = ModelManifest.currentFormat
    /// The model kind, e.g. `dcn-v2`.
    public var model: String
    /// A version chosen by the caller (e.g. a training run id).
    public var version: String
    public var createdAt: Date
    public var configuration: Configuration
    public var metrics: [String: Double]
    /// Parameter names and shapes, checked against the weights file on load.
    public var parameters: [String: [Int]]

    public static var currentFormat: String { "funnel-model/1" }

    public init(model: String, version: String, configuration: Configuration, metrics: [String: Double] = [:],
                parameters: [String: [Int]], createdAt: Date = Date()) {
        self.model = model
        self.version = version
        self.configuration = configuration
        self.metrics = metrics
        self.parameters = parameters
        self.createdAt = createdAt
    }
}

/// A model on disk: a directory with `model.safetensors` and `manifest.json`.
public enum ModelArtifact {
    public static let weightsFile = "model.safetensors"
    public static let manifestFile = "manifest.json"

    /// Saves every parameter of `module` and the manifest into `directory` (created if needed).
    public static func save<C: Codable & Sendable>(_ module: some Module, model: String, version: String, configuration: C,
                               metrics: [String: Double] = [:], to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        for (name, p) in module.namedParameters { tensors[name] = p.value }
        let manifest = ModelManifest(model: model, version: version, configuration: configuration, metrics: metrics,
                                     parameters: tensors.mapValues(\.shape))
        try SafeTensors.write(tensors, metadata: ["format": manifest.format, "model": model, "version": version],
                              to: directory.appendingPathComponent(weightsFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(manifest).write(to: directory.appendingPathComponent(manifestFile), options: .atomic)
    }

    /// Reads the manifest of a saved model.
    public static func manifest<C: Codable & Sendable>(at directory: URL, configuration: C.Type) throws -> ModelManifest<C> {
        let url = directory.appendingPathComponent(manifestFile)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelArtifactError.unreadable(url.path, error.localizedDescription)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let manifest: ModelManifest<C>
        do { manifest = try decoder.decode(ModelManifest<C>.self, from: data) } catch {
            throw ModelArtifactError.invalidManifest(url.path, String(describing: error))
        }
        guard manifest.format == ModelManifest<C>.currentFormat else {
            throw ModelArtifactError.invalidManifest(url.path, "unknown format '\(manifest.format)'")
        }
        return manifest
    }

    /// Loads saved weights into `module`, whose parameters must match by name and shape.
    /// Nothing is changed unless every tensor fits.
    public static func loadWeights(into module: some Module, from directory: URL) throws {
        try loadWeights(into: module, tensors: SafeTensors.read(from: directory.appendingPathComponent(weightsFile)).tensors)
    }

    /// Loads named tensors (as `SafeTensors.decode` gives them) into `module`'s parameters,
    /// which must match by name and shape; nothing is changed unless every tensor fits.
    public static func loadWeights(into module: some Module, tensors: [String: Tensor]) throws {
        let named = module.namedParameters
        for (name, p) in named {
            guard let t = tensors[name] else { throw SafeTensorsError.missingTensor(name) }
            guard t.shape == p.value.shape else { throw SafeTensorsError.shapeMismatch(name: name, expected: p.value.shape, found: t.shape) }
        }
        for (name, p) in named {
            p.value = tensors[name]!
            p.slots = []
            p.zeroGradient()
        }
    }
}

public enum ModelArtifactError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case invalidManifest(String, String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read model manifest \(path): \(reason)"
        case let .invalidManifest(path, reason): "invalid model manifest \(path): \(reason)"
        }
    }
}
