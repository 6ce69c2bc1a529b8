import FunnelTensor

/// What a ranker learns from: one row of features per logged exposure, labels per objective,
/// in time order. Built from the log as of a moment: each row's features come only from events
/// before its exposure, and its labels only from what followed it.
public struct RankingExamples: Sendable {
    public let featureNames: [String]
    /// `count × featureNames.count` values, row-major, oldest exposure first.
    public let features: [Float]
    /// Per objective, one label per row: 0 or 1 for probabilities, seconds for watch time.
    public let labels: [Objective: [Float]]
    /// The user shown each row, for per-user metrics (GAUC).
    public let users: [String]
    /// Rows from this one on (the most recent) validate; the earlier ones train.
    public let validationStart: Int
    /// The span of the log the rows and their labels come from.
    public let window: TrainingWindow
    /// What building the rows left out, by name (`history.skipped`: behaviour-sequence items
    /// the item space did not hold).
    public var skipped: [String: Int] = [:]
    /// Another model's predictions for every row, per objective (probabilities, seconds for
    /// watch time), for a model that learns from it (distillation): the ranker's, set when a
    /// pre-ranker is trained beside it.
    public var teacher: [Objective: [Float]]?

    /// `validationStart`: the first validating row; by default the last `validationFraction` validate.
    public init(featureNames: [String], features: [Float], labels: [Objective: [Float]], users: [String],
                validationFraction: Double = 0.2, validationStart: Int? = nil, window: TrainingWindow) throws {
        let width = featureNames.count
        guard width > 0, features.count % width == 0 else {
            throw StageError("ranking examples: \(features.count) feature values do not fill rows of \(width) features")
        }
        let count = features.count / width
        guard users.count == count, labels.values.allSatisfy({ $0.count == count }), !labels.isEmpty else {
            throw StageError("ranking examples: \(count) rows need one user and one label per objective each")
        }
        if let bad = features.firstIndex(where: { !$0.isFinite }) {
            throw StageError("ranking examples: row \(bad / width), feature '\(featureNames[bad % width])' is \(features[bad]), not a finite number")
        }
        for (objective, values) in labels {
            if let bad = values.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw StageError("ranking examples: row \(bad), label '\(objective.rawValue)' is \(values[bad]), not a finite non-negative number")
            }
        }
        self.featureNames = featureNames
        self.features = features
        self.labels = labels
        self.users = users
        if let validationStart, !(1..<count).contains(validationStart) {
            throw StageError("ranking examples: validation from row \(validationStart) leaves no training or no validation rows of \(count)")
        }
        self.validationStart = validationStart ?? count - Int(Double(count) * validationFraction)
        self.window = window
    }

    public var count: Int { users.count }
    public var width: Int { featureNames.count }
    public var trainingRows: Range<Int> { 0..<validationStart }
    public var validationRows: Range<Int> { validationStart..<count }

    /// The prefix of id columns' names (`id:item`, `id:author`, …). Such a column holds a code
    /// naming one id, not a quantity: a model embeds it, or leaves it out (`withoutIDColumns`).
    public static let idPrefix = "id:"

    public static func isIDColumn(_ name: String) -> Bool { name.hasPrefix(idPrefix) }

    /// The prefix of a behaviour sequence's columns, id columns too: the codes of the item and
    /// of its category at each step (`id:history:item#0`, `id:history:category#0`, …).
    public static let historyPrefix = idPrefix + "history:"

    public static func isHistoryColumn(_ name: String) -> Bool { name.hasPrefix(historyPrefix) }

    /// The prefix of the columns of a candidate's category sequence (SIM's hard search), id
    /// columns too: per step, the code of the item and the bucket of the action's age
    /// (`id:category-sequence:item#0`, `id:category-sequence:age#0`, …).
    public static let categorySequencePrefix = idPrefix + "category-sequence:"

    public static func isCategorySequenceColumn(_ name: String) -> Bool { name.hasPrefix(categorySequencePrefix) }

    /// The category sequence's age buckets, 1 through this (0 past the sequence's end): bucket
    /// 1 holds ages under an hour, bucket b > 1 those of 2^(b−2) to 2^(b−1) hours, the last
    /// every older action (over 2^14 hours, about two years).
    public static let categorySequenceAgeBuckets = 16

    /// An id column of a sequence (the behaviour sequence or the category sequence) rather
    /// than of the row's own ids.
    public static func isSequenceColumn(_ name: String) -> Bool { isHistoryColumn(name) || isCategorySequenceColumn(name) }

    /// These examples without their id columns, for a model that reads quantities only.
    public var withoutIDColumns: RankingExamples {
        get throws { try keeping { !Self.isIDColumn($0) } }
    }

    /// These examples with only the columns whose names `isKept` accepts.
    public func keeping(_ isKept: (String) -> Bool) throws -> RankingExamples {
        let kept = featureNames.indices.filter { isKept(featureNames[$0]) }
        guard kept.count < width else { return self }
        let count = count, width = width
        return try RankingExamples(featureNames: kept.map { featureNames[$0] },
                                   features: (0..<count).flatMap { r in kept.map { features[r * width + $0] } },
                                   labels: labels, users: users, validationStart: validationStart, window: window)
    }

    /// The batch of the validation rows, to score them with a trained ranker.
    public var validationBatch: RankingBatch {
        RankingBatch(width: width, features: Array(features[(validationStart * width)...]))
    }
}

/// How a training run went: its examples, epochs and validation metrics by name
/// (`click.auc`, `click.logloss`, …).
public struct TrainingReport: Codable, Sendable, Equatable {
    public var examples: Int
    public var epochs: Int
    public var metrics: [String: Double]

    public init(examples: Int, epochs: Int, metrics: [String: Double]) {
        self.examples = examples
        self.epochs = epochs
        self.metrics = metrics
    }
}

/// A ranker that learns from logged exposures: the model contract. It trains from examples
/// built from the log as of a moment, saves as a `SavedModel` (manifest with its name and
/// configuration, weights as safetensors) and loads only its own kind and shape.
public protocol TrainableRanker: Ranker {
    associatedtype Configuration: Codable & Sendable & Equatable
    /// The registry name, and the model name in its artifacts.
    static var modelName: String { get }
    static var defaultConfiguration: Configuration { get }
    static func train(on examples: RankingExamples, configuration: Configuration) throws -> (Self, TrainingReport)
    /// `base` with what `[pipeline.models.<name>]` sets; a setting the model lacks, or a
    /// value out of range, is refused by name.
    static func configuration(_ base: Configuration, applying settings: ModelSettings) throws -> Configuration
    func saved(version: String, report: TrainingReport?, window: TrainingWindow?) throws -> SavedModel
    /// Refuses an artifact of another model, or of a shape this type cannot hold.
    init(saved: SavedModel) throws
}

extension TrainableRanker {
    public var name: String { Self.modelName }
}
