import Foundation
import FunnelEval
import FunnelStages
import FunnelTensor

/// One model for every objective (Ma et al., 2018): a mixture of experts (MMoE), each task
/// mixing the experts' outputs through a softmax gate of its own and reading the mixture with
/// a small tower; or, with `.sharedBottom`, one bottom network every task's tower reads.
///
/// Click-like objectives are trained with binary cross-entropy and predicted as probabilities.
/// Watch time is trained as a weighted logistic regression (after Covington et al., 2016): an
/// exposure watched for T seconds is a positive of weight T and every exposure a negative of
/// weight 1, so the learned odds e^z estimate the expected watch time (the paper's form, with
/// only unwatched exposures as negatives, estimates E[T]/(1 − P(watch)), too high for the
/// frequent watches of a feed). Dropout on the gates'
/// outputs keeps a gate from settling on one expert (polarisation).
public struct MultiTaskRanker: TrainableRanker {
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case mmoe
        case sharedBottom = "shared-bottom"
    }

    /// How id columns (`id:…` features) are embedded: each id's vector width, how often an id
    /// must occur among the training rows to get a row of its own, how many rows the rarer ids
    /// of a column share (by hash), and the L2 penalty on the rows a batch touches (ids are
    /// what a model memorises first).
    public struct IDEmbedding: Codable, Sendable, Equatable {
        public var dimension = 8
        public var minCount = 5
        public var buckets = 1_000
        public var l2: Float = 0.1

        public init() {}
    }

    /// How a behaviour sequence (the `id:history:` columns of the `sequence` feature group)
    /// enters: pooled by attention to each candidate (DIN) or by its mean (LastN), with a
    /// learnt vector per recency, or left out. The category sequence (`id:category-sequence:`
    /// columns, SIM) is pooled the same way, with a vector per age bucket. Serving scores each candidate's attention over
    /// every step, so the attention network is kept small.
    public struct BehaviourSequence: Codable, Sendable, Equatable {
        public var pooling = DIN.Pooling.attention
        public var attentionUnits = [32, 16]
        public var recency = true

        public init() {}
    }

    public struct Configuration: Codable, Sendable, Equatable {
        public var architecture = Architecture.mmoe
        /// The objectives to learn, among those the examples label; by default all of them.
        public var objectives: [Objective]?
        public var experts = 4
        public var expertUnits = [64, 32]
        public var towerUnits = [16]
        /// Dropout on each gate's softmax output while training.
        public var gateDropout: Float = 0.1
        public var dropout: Float = 0
        public var training = MultiTaskRanker.defaultTraining
        /// Set by training: the columns the model reads, and the mean watch time of the
        /// watched training rows (the unit of the watch-time odds).
        public var featureNames: [String] = []
        public var watchTimeScale: Float = 1
        /// Negative down-sampling while training, if set.
        public var negativeSampling: NegativeSampling?
        /// The id columns' embedding (nil: the defaults; an artifact saved before id columns
        /// existed has none, and loads).
        public var idEmbedding: IDEmbedding?
        /// The behaviour sequence's pooling (nil: the defaults).
        public var sequence: BehaviourSequence?
        /// The hidden width of the personal gates (PPNet) on the experts' hidden layers, which
        /// read the user's side of each row; nil for none.
        public var personalGateUnits: Int?

        var ids: IDEmbedding { idEmbedding ?? IDEmbedding() }
        var behaviourSequence: BehaviourSequence { sequence ?? BehaviourSequence() }

        public init(architecture: Architecture = .mmoe) { self.architecture = architecture }
    }

    public static let modelName = "multi-task"
    public static var defaultConfiguration: Configuration { Configuration() }

    public static func configuration(_ base: Configuration, applying settings: ModelSettings) throws -> Configuration {
        var c = base
        try settings.refuse((c.architecture == .sharedBottom ? ["experts"] : []) + ModelSettings.threeTowerFields, by: c.architecture.rawValue)
        try settings.apply(to: &c.training)
        if let experts = settings.experts {
            guard experts >= 2 else { throw StageError("experts must be at least 2, got \(experts)") }
            c.experts = experts
        }
        c.expertUnits = try ModelSettings.widths(settings.expertUnits, "expertUnits") ?? c.expertUnits
        c.towerUnits = try ModelSettings.widths(settings.towerUnits, "towerUnits", allowingNone: true) ?? c.towerUnits
        for (field, rate) in [("gateDropout", settings.gateDropout), ("dropout", settings.dropout)] {
            if let rate, !(rate >= 0 && rate < 1) { throw StageError("\(field) must be in [0, 1), got \(rate)") }
        }
        c.gateDropout = settings.gateDropout ?? c.gateDropout
        c.dropout = settings.dropout ?? c.dropout
        c.objectives = try settings.objectives(or: c.objectives)
        if let sampling = settings.negativeSampling {
            try sampling.validate()
            c.negativeSampling = sampling
        }
        var ids = c.ids
        for (field, value, least, set) in [("idDimension", settings.idDimension, 1, \IDEmbedding.dimension),
                                            ("idMinCount", settings.idMinCount, 1, \.minCount), ("idBuckets", settings.idBuckets, 1, \.buckets)] {
            guard let value else { continue }
            guard value >= least, value <= 1 << 20 else { throw StageError("\(field) must be within \(least)…\(1 << 20), got \(value)") }
            ids[keyPath: set] = value
        }
        if let l2 = settings.idL2 {
            guard l2.isFinite, l2 >= 0 else { throw StageError("idL2 must be a finite number, not negative, got \(l2)") }
            ids.l2 = l2
        }
        if ids != c.ids { c.idEmbedding = ids }
        var sequence = c.behaviourSequence
        if let name = settings.sequencePooling {
            guard let pooling = DIN.Pooling(rawValue: name) else {
                throw StageError("sequencePooling must be one of \(DIN.Pooling.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            sequence.pooling = pooling
        }
        sequence.attentionUnits = try ModelSettings.widths(settings.attentionUnits, "attentionUnits") ?? sequence.attentionUnits
        sequence.recency = settings.recencyEmbedding ?? sequence.recency
        if sequence != c.behaviourSequence { c.sequence = sequence }
        if let units = settings.personalGateUnits {
            guard units >= 0, units <= 4_096 else { throw StageError("personalGateUnits must be within 0…4096 (0 for no personal gates), got \(units)") }
            c.personalGateUnits = units > 0 ? units : nil
        }
        return c
    }

    /// What the personal gates read among the dense columns `denseNames` and the own id columns
    /// `idNames`: the user's side (`ThreeTowerRanker.side(of:)`: their statistics and profile,
    /// the request's context) and `id:user`; nil without gates.
    static func personalGates(_ units: Int?, denseNames: [String], idNames: [String]) throws -> MultiTaskNetwork.PersonalGates? {
        guard let units else { return nil }
        let columns = denseNames.indices.filter { ThreeTowerRanker.side(of: denseNames[$0]) == .user }
        let idColumn = idNames.firstIndex(of: RankingExamples.idPrefix + "user")
        guard !columns.isEmpty || idColumn != nil else {
            throw StageError("\(modelName): personal gates read the user's columns (user:, profile:user, context:, id:user), and the features have none")
        }
        return MultiTaskNetwork.PersonalGates(columns: columns, idColumn: idColumn, hiddenUnits: units)
    }

    public let configuration: Configuration
    public let objectives: [Objective]
    let network: MultiTaskNetwork
    let scaling: FeatureScaling
    /// One per id column, in the order of `featureNames`' id columns (the sequence's read
    /// those of the item and category columns).
    let vocabularies: [IDVocabulary]
    /// Where the behaviour sequence's columns and the category sequence's, the last ones in that
    /// order, are read from, if the model reads them.
    let history: HistoryPooling.Layout?
    let categorySequence: HistoryPooling.Layout?
    /// The network with the scaling folded in, for serving.
    let folded: FoldedMultiTaskNetwork

    public var featureNames: [String] { configuration.featureNames }
    /// The architecture's name (`mmoe`, `shared-bottom`): the registry knows each by it.
    public var name: String { configuration.architecture.rawValue }

    public func predict(_ batch: RankingBatch) -> Predictions {
        guard batch.count > 0 else { return Predictions(objectives: objectives, values: []) }
        let logits = Workspace.borrow { workspace -> [Float] in self.logits(batch, in: workspace).scalars }
        return Predictions(objectives: objectives, values: logits.enumerated().map { i, z in
            prediction(z, objectives[i % objectives.count])
        })
    }

    /// The logits `[batch, objectives]` through the forward-only path that serving uses.
    public func logits(_ batch: RankingBatch, in workspace: Workspace) -> Matrix {
        batch.features.withUnsafeBufferPointer {
            folded.logits($0.baseAddress!, rows: batch.count, stride: batch.width, slots: slots(batch), in: workspace)
        }
    }

    /// The same logits through the training graph (in inference mode when `graph` is).
    public func logits(_ batch: RankingBatch, in graph: Graph) -> Node {
        let dense = RankingBatch(width: batch.width, features: batch.features, columns: vocabularies.isEmpty ? nil : Array(0..<scaling.width))
        let x = graph.constant(Tensor(shape: [batch.count, scaling.width], scalars: scaling.apply(dense.features)))
        return network.logits(network.input(x, slots: slots(batch)), gateDropout: graph.isTraining ? configuration.gateDropout : 0)
    }

    /// Each row's embedding row per id column (the batch's last columns, in `featureNames`' order).
    func slots(_ batch: RankingBatch) -> [Int32] {
        var at = scaling.width + vocabularies.count
        let sequences = [history, categorySequence].compactMap { $0 }.map { layout in
            defer { at += layout.slotsPerRow }
            return (layout, Array(at..<(at + layout.slotsPerRow)))
        }
        return Self.slots(batch.features, width: batch.width, rows: 0..<batch.count,
                          idColumns: Array(scaling.width..<(scaling.width + vocabularies.count)), sequences: sequences, vocabularies: vocabularies)
    }

    /// The embedding rows of `rows` of `features` (row-major, `width` columns): per row, those
    /// of the `idColumns` by their vocabularies, then each sequence's, from its columns: each
    /// step's fields by the vocabularies of the id columns its layout's `targets` names, its
    /// age bucket as it is.
    static func slots(_ features: [Float], width: Int, rows: some Sequence<Int>, idColumns: [Int],
                      sequences: [(layout: HistoryPooling.Layout, columns: [Int])], vocabularies: [IDVocabulary]) -> [Int32] {
        guard !vocabularies.isEmpty else { return [] }
        let perRow = vocabularies.count + sequences.reduce(0) { $0 + $1.columns.count }
        let rows = Array(rows)
        let slots = [Int32](unsafeUninitializedCapacity: rows.count * perRow) { out, written in
            features.withUnsafeBufferPointer { x in
                var previous: UnsafePointer<Float>?
                for (n, r) in rows.enumerated() {
                    let row = x.baseAddress! + r * width
                    var at = n * perRow
                    for (k, vocabulary) in vocabularies.enumerated() { out[at + k] = vocabulary.row(of: row[idColumns[k]]) }
                    at += vocabularies.count
                    for (layout, columns) in sequences {
                        defer { at += columns.count }
                        // The rows of one request share their user's sequence (those of one
                        // category their category sequence): its slots are looked up once.
                        if let previous, columns.allSatisfy({ row[$0] == previous[$0] }) {
                            for k in 0..<columns.count { out[at + k] = out[at - perRow + k] }
                            continue
                        }
                        for (k, column) in columns.enumerated() {
                            let field = k % layout.slotsPerStep
                            out[at + k] = field < layout.fields ? vocabularies[layout.targets[field]].row(of: row[column])
                                                                : Int32(min(max(row[column], 0), Float(layout.ages)))
                        }
                    }
                    previous = row
                }
            }
            written = rows.count * perRow
        }
        return slots
    }

    /// The behaviour sequence's fields, in a step's column order.
    static let historyFields = ["item", "category"]

    /// The layout of the behaviour sequence among `names` (`id:history:item#0`,
    /// `id:history:category#0`, …, each field matched with the id column `id:<field>`), nil when
    /// there is none; `vocabularies` those of the own id columns `idNames`.
    static func historyLayout(historyNames: [String], idNames: [String], vocabularies: [IDVocabulary]) throws -> HistoryPooling.Layout? {
        try sequenceLayout(names: historyNames, prefix: RankingExamples.historyPrefix, fields: historyFields, ages: 0, idNames: idNames, vocabularies: vocabularies)
    }

    /// The layout of the category sequence among `names` (`id:category-sequence:item#0`,
    /// `id:category-sequence:age#0`, …), nil when there is none.
    static func categorySequenceLayout(names: [String], idNames: [String], vocabularies: [IDVocabulary]) throws -> HistoryPooling.Layout? {
        try sequenceLayout(names: names, prefix: RankingExamples.categorySequencePrefix, fields: ["item"],
                           ages: RankingExamples.categorySequenceAgeBuckets, idNames: idNames, vocabularies: vocabularies)
    }

    /// A sequence's layout from its column names: `prefix` + field + `#k` for each step k, the
    /// fields (then `age` when `ages` > 0) in order, each field matched with the id column `id:<field>`.
    private static func sequenceLayout(names: [String], prefix: String, fields: [String], ages: Int, idNames: [String],
                                       vocabularies: [IDVocabulary]) throws -> HistoryPooling.Layout? {
        guard !names.isEmpty else { return nil }
        let columns = fields + (ages > 0 ? ["age"] : [])
        let steps = names.count / columns.count
        let expected = (0..<steps).flatMap { k in columns.map { "\(prefix)\($0)#\(k)" } }
        guard names == expected else {
            throw StageError("\(modelName): a sequence's columns must be \(columns.map { "\(prefix)\($0)#k" }.joined(separator: ", ")) for k = 0, 1, …; got \(names.prefix(4).joined(separator: ", "))…")
        }
        let targets = try fields.map { field in
            guard let k = idNames.firstIndex(of: RankingExamples.idPrefix + field) else {
                throw StageError("\(modelName): a sequence (\(prefix)…) needs the '\(RankingExamples.idPrefix)\(field)' column, whose rows its steps share")
            }
            return k
        }
        return HistoryPooling.Layout(steps: steps, fields: fields.count, targets: targets, padding: Int32(vocabularies[targets[0]].offset), ages: ages)
    }

    /// A probability for click-like objectives; for watch time the odds e^z, in units of the
    /// training set's mean watch time, as seconds.
    /// The sampled objective's probability is corrected for the negatives training left out
    /// (when the configuration says so): p = a·q / ((1 − q) + a·q) for keep rate a, which is the
    /// logit shifted by ln a.
    func prediction(_ z: Float, _ objective: Objective) -> Double {
        var z = Double(min(max(z, -30), 30))
        if let sampling = configuration.negativeSampling, sampling.objective == objective, sampling.corrected {
            z += log(Double(sampling.keepRate))
        }
        return objective.isProbability ? 1 / (1 + exp(-z)) : exp(z) * Double(configuration.watchTimeScale)
    }

    init(configuration: Configuration, scaling: FeatureScaling, network: MultiTaskNetwork, vocabularies: [IDVocabulary] = []) {
        (self.configuration, self.scaling, self.network, self.vocabularies) = (configuration, scaling, network, vocabularies)
        history = network.history?.layout
        categorySequence = network.categorySequence?.layout
        folded = FoldedMultiTaskNetwork(network, scaling: scaling)
        objectives = configuration.objectives ?? []
    }

    public static var defaultTraining: TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.epochs, c.batchSize, c.learningRate, c.patience) = (20, 512, 3e-3, 2)
        return c
    }
}
