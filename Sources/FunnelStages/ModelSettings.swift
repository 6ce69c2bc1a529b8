import FunnelTensor

/// What `[pipeline.models.<name>]` sets for one trained stage, over its registered defaults.
/// Every field may be left out; a model refuses, by name, a field it has no use for, so that a
/// setting never silently does nothing.
public struct ModelSettings: Codable, Sendable, Equatable {
    // Training.
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Float?
    public var patience: Int?
    public var seed: Int?
    // Multi-task models.
    public var objectives: [Objective]?
    public var experts: Int?
    public var expertUnits: [Int]?
    public var towerUnits: [Int]?
    public var gateDropout: Float?
    public var dropout: Float?
    public var negativeSampling: NegativeSampling?
    /// Id columns: embedding width, occurrences for a row of one's own, shared rows per column.
    public var idDimension: Int?
    public var idMinCount: Int?
    public var idBuckets: Int?
    public var idL2: Float?
    /// A behaviour sequence (`id:history:` columns): `attention` (DIN), `mean` (LastN) or
    /// `none` (left out); the attention network's hidden widths; a vector per recency.
    public var sequencePooling: String?
    public var attentionUnits: [Int]?
    public var recencyEmbedding: Bool?
    /// Personal gates (PPNet) on the experts' hidden layers: their hidden width, 0 for none.
    public var personalGateUnits: Int?
    // The three-tower pre-ranker: each tower's widths, the layers over their outputs, and the
    // share of its targets that are the ranker's predictions rather than the log's outcomes.
    public var userUnits: [Int]?
    public var itemUnits: [Int]?
    public var crossUnits: [Int]?
    public var topUnits: [Int]?
    public var distillation: Float?

    public init() {}

    /// Applies the training fields to `training`, each checked.
    public func apply(to training: inout TrainingConfiguration) throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw StageError("\(field) \(rule)") }
        }
        if let epochs { try check(epochs >= 1, "epochs", "must be at least 1, got \(epochs)"); training.epochs = epochs }
        if let batchSize { try check(batchSize >= 1, "batchSize", "must be at least 1, got \(batchSize)"); training.batchSize = batchSize }
        if let learningRate {
            try check(learningRate.isFinite && learningRate > 0, "learningRate", "must be a positive number, got \(learningRate)")
            training.learningRate = learningRate
        }
        if let patience { try check(patience >= 1, "patience", "must be at least 1, got \(patience)"); training.patience = patience }
        if let seed { try check(seed >= 0, "seed", "must not be negative, got \(seed)"); training.seed = UInt64(seed) }
    }

    /// `units`, checked as a setting of layer widths: each positive, and at least one unless
    /// `allowingNone`.
    public static func widths(_ units: [Int]?, _ field: String, allowingNone: Bool = false) throws -> [Int]? {
        guard let units else { return nil }
        guard allowingNone || !units.isEmpty, units.allSatisfy({ $0 >= 1 }) else {
            throw StageError("\(field) must list \(allowingNone ? "" : "one or more ")positive widths, got \(units)")
        }
        return units
    }

    /// The objectives set, checked (at least one), or `current` when none are.
    public func objectives(or current: [Objective]?) throws -> [Objective]? {
        guard let objectives else { return current }
        guard !objectives.isEmpty else { throw StageError("objectives must name at least one objective") }
        return objectives
    }

    /// Refuses whichever of the model fields `unused` names is set.
    public func refuse(_ unused: [String], by model: String) throws {
        let set: [String: Bool] = [
            "objectives": objectives != nil, "experts": experts != nil, "expertUnits": expertUnits != nil, "towerUnits": towerUnits != nil,
            "gateDropout": gateDropout != nil, "dropout": dropout != nil, "negativeSampling": negativeSampling != nil,
            "idDimension": idDimension != nil, "idMinCount": idMinCount != nil, "idBuckets": idBuckets != nil,
            "idL2": idL2 != nil, "sequencePooling": sequencePooling != nil, "attentionUnits": attentionUnits != nil,
            "recencyEmbedding": recencyEmbedding != nil, "userUnits": userUnits != nil, "itemUnits": itemUnits != nil,
            "crossUnits": crossUnits != nil, "topUnits": topUnits != nil, "distillation": distillation != nil,
            "personalGateUnits": personalGateUnits != nil,
        ]
        if let field = unused.first(where: { set[$0] == true }) {
            throw StageError("\(model) has no setting '\(field)'")
        }
    }

    /// The names of the model fields, for a model to refuse those it lacks.
    public static let modelFields = ["objectives", "experts", "expertUnits", "towerUnits", "gateDropout", "dropout", "negativeSampling",
                                     "idDimension", "idMinCount", "idBuckets", "idL2", "sequencePooling", "attentionUnits", "recencyEmbedding",
                                     "personalGateUnits"] + threeTowerFields

    /// The fields only the three-tower pre-ranker has.
    public static let threeTowerFields = ["userUnits", "itemUnits", "crossUnits", "topUnits", "distillation"]
}
