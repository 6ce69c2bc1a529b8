import Foundation

/// A trained model in Funnel's one artifact format: a JSON manifest (`ModelManifest`: model
/// name, version, configuration, metrics, training window, parameter shapes) and the weights
/// as safetensors. Stored as two files in a directory or as an artifact's manifest and blob.
public struct SavedModel: Sendable, Equatable {
    public var manifest: Data
    public var weights: Data

    public init(manifest: Data, weights: Data) {
        self.manifest = manifest
        self.weights = weights
    }

    /// Packs `tensors` with a manifest describing them.
    public init<C: Codable & Sendable>(model: String, version: String, configuration: C, tensors: [String: Tensor],
                                       metrics: [String: Double] = [:], trainingWindow: TrainingWindow? = nil,
                                       createdAt: Date = Date()) throws {
        var manifest = ModelManifest(model: model, version: version, configuration: configuration, metrics: metrics,
                                     parameters: tensors.mapValues(\.shape), createdAt: createdAt)
        manifest.trainingWindow = trainingWindow
        self.manifest = try Self.encoder.encode(manifest)
        weights = try SafeTensors.encode(tensors, metadata: ["format": manifest.format, "model": model, "version": version])
    }

    /// Packs every parameter of `module`.
    public init<C: Codable & Sendable>(_ module: some Module, model: String, version: String, configuration: C,
                                       metrics: [String: Double] = [:], trainingWindow: TrainingWindow? = nil) throws {
        var tensors: [String: Tensor] = [:]
        for (name, p) in module.namedParameters { tensors[name] = p.value }
        try self.init(model: model, version: version, configuration: configuration, tensors: tensors, metrics: metrics,
                      trainingWindow: trainingWindow)
    }

    /// The model name and version, read without knowing the configuration's type.
    public func header() throws -> (model: String, version: String) {
        struct Header: Decodable { var format: String; var model: String; var version: String }
        let header: Header
        do { header = try Self.decoder.decode(Header.self, from: manifest) } catch {
            throw ModelArtifactError.invalidManifest("the manifest", String(describing: error))
        }
        guard header.format == ModelManifest<Int>.currentFormat else {
            throw ModelArtifactError.invalidManifest("the manifest", "unknown format '\(header.format)'")
        }
        return (header.model, header.version)
    }

    /// The manifest and tensors of a saved `model`. Refuses an artifact of another model, an
    /// unknown format, a configuration of another shape, and weights that differ from the
    /// manifest's parameters in name or shape.
    public func open<C: Codable & Sendable>(as model: String, configuration: C.Type) throws
        -> (manifest: ModelManifest<C>, tensors: [String: Tensor]) {
        let found = try header().model
        guard found == model else {
            throw ModelArtifactError.invalidManifest("the manifest", "this is a '\(found)' model, not a '\(model)' one")
        }
        let manifest: ModelManifest<C>
        do { manifest = try Self.decoder.decode(ModelManifest<C>.self, from: self.manifest) } catch {
            throw ModelArtifactError.invalidManifest("the '\(model)' manifest", String(describing: error))
        }
        let tensors = try SafeTensors.decode(weights).tensors
        for (name, shape) in manifest.parameters {
            guard let t = tensors[name] else { throw SafeTensorsError.missingTensor(name) }
            guard t.shape == shape else { throw SafeTensorsError.shapeMismatch(name: name, expected: shape, found: t.shape) }
        }
        if let extra = Set(tensors.keys).subtracting(manifest.parameters.keys).sorted().first {
            throw ModelArtifactError.invalidManifest("the '\(model)' manifest", "weights hold '\(extra)', which the manifest does not list")
        }
        return (manifest, tensors)
    }

    /// Writes `manifest.json` and `model.safetensors` into `directory` (created if needed).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try weights.write(to: directory.appendingPathComponent(ModelArtifact.weightsFile), options: .atomic)
        try manifest.write(to: directory.appendingPathComponent(ModelArtifact.manifestFile), options: .atomic)
    }

    /// Reads a model written by `write(to:)`.
    public init(directory: URL) throws {
        func read(_ file: String) throws -> Data {
            let url = directory.appendingPathComponent(file)
            do { return try Data(contentsOf: url) } catch { throw ModelArtifactError.unreadable(url.path, error.localizedDescription) }
        }
        self.init(manifest: try read(ModelArtifact.manifestFile), weights: try read(ModelArtifact.weightsFile))
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// The span of the log a model was trained on: no event at or after `until` reached it.
public struct TrainingWindow: Codable, Sendable, Equatable {
    public var from: Date
    public var until: Date

    public init(from: Date, until: Date) {
        self.from = from
        self.until = until
    }
}
