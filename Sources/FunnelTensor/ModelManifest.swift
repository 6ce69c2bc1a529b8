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
    /// The span of the log the model learned from, when it learned from one.
    public var trainingWindow: TrainingWindow?

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
        try SavedModel(module, model: model, version: version, configuration: configuration, metrics: metrics).write(to: directory)
    }

    /// Reads the manifest of a saved model.
    public static func manifest<C: Codable & Sendable>(at directory: URL, model: String, configuration: C.Type) throws -> ModelManifest<C> {
        try SavedModel(directory: directory).open(as: model, configuration: configuration).manifest
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
