import Foundation
import FunnelEval
import FunnelStages
import FunnelTensor

extension MultiTaskRanker {
    /// Learns every configured objective the examples label with at least ten positives among
    /// the training rows, early-stopped on the mean validation AUC of the objectives. With
    /// negative sampling, the training rows without a positive for the sampled objective are
    /// kept at its rate (seeded); validation keeps every row, so its metrics are the true ones.
    public static func train(on examples: RankingExamples, configuration: Configuration) throws -> (MultiTaskRanker, TrainingReport) {
        let trainingRows = examples.trainingRows, validationRows = examples.validationRows
        guard trainingRows.count >= 10, validationRows.count >= 10 else {
            throw StageError("\(modelName) needs at least 20 logged exposures, got \(examples.count)")
        }
        try configuration.negativeSampling?.validate()
        let objectives = try MultiTaskTarget.objectives(examples, configured: configuration.objectives, model: modelName)
        if let sampling = configuration.negativeSampling, !objectives.contains(sampling.objective) {
            throw StageError("\(modelName): negative sampling names '\(sampling.objective.rawValue)', which the model does not learn")
        }

        // The rows to train on, and the weight each kept row carries for the objectives that
        // were not sampled (1 / keep rate for a sampled-out kind of row).
        var kept = Array(trainingRows)
        var inverseRate: [Float]?
        if let sampling = configuration.negativeSampling, sampling.keepRate < 1 {
            let labels = examples.labels[sampling.objective]!
            var generator = SeededGenerator(seed: configuration.training.seed ^ 0x5A4D)
            kept = trainingRows.filter { labels[$0] > 0 || Float.random(in: 0..<1, using: &generator) < sampling.keepRate }
            inverseRate = labels.map { $0 > 0 ? 1 : 1 / sampling.keepRate }
        }

        var configuration = configuration
        configuration.objectives = objectives
        // The dense columns, then the id columns, each id column with a vocabulary of the
        // training rows' ids and one row per example into the shared embedding table, then the
        // behaviour sequence's columns and the category sequence's (left out when the pooling
        // is `none`), whose steps share the item and category columns' vocabularies.
        let names = examples.featureNames, width = examples.width
        let idColumns = names.indices.filter { RankingExamples.isIDColumn(names[$0]) && !RankingExamples.isSequenceColumn(names[$0]) }
        let pooled = configuration.behaviourSequence.pooling != .none
        let historyColumns = pooled ? names.indices.filter { RankingExamples.isHistoryColumn(names[$0]) } : []
        let searchedColumns = pooled ? names.indices.filter { RankingExamples.isCategorySequenceColumn(names[$0]) } : []
        let denseColumns = names.indices.filter { !RankingExamples.isIDColumn(names[$0]) }
        guard !denseColumns.isEmpty else { throw StageError("\(modelName) needs at least one feature besides id columns") }
        configuration.featureNames = (denseColumns + idColumns + historyColumns + searchedColumns).map { names[$0] }
        var vocabularies: [IDVocabulary] = []
        for column in idColumns {
            vocabularies.append(IDVocabulary(fitting: examples.features, width: width, column: column, rows: kept,
                                             minCount: configuration.ids.minCount, buckets: configuration.ids.buckets,
                                             offset: vocabularies.tableRows))
        }
        if !idColumns.isEmpty { configuration.idEmbedding = configuration.ids }
        let history = try historyLayout(historyNames: historyColumns.map { names[$0] }, idNames: idColumns.map { names[$0] },
                                        vocabularies: vocabularies)
        let searched = try categorySequenceLayout(names: searchedColumns.map { names[$0] }, idNames: idColumns.map { names[$0] },
                                                  vocabularies: vocabularies)
        if history != nil || searched != nil { configuration.sequence = configuration.behaviourSequence }
        let personal = try personalGates(configuration.personalGateUnits, denseNames: denseColumns.map { names[$0] }, idNames: idColumns.map { names[$0] })
        let dense = try examples.withoutIDColumns.features
        let sequences = [history.map { ($0, historyColumns) }, searched.map { ($0, searchedColumns) }].compactMap { $0 }
        let slots = Self.slots(examples.features, width: width, rows: 0..<examples.count, idColumns: idColumns, sequences: sequences,
                               vocabularies: vocabularies)
        var tasks: [MultiTaskTarget] = []
        for objective in objectives {
            let resampled = objective == configuration.negativeSampling?.objective ? nil : inverseRate
            let (task, scale) = MultiTaskTarget.task(objective, labels: examples.labels[objective]!, trainingRows: trainingRows, weights: resampled)
            tasks.append(task)
            if let scale { configuration.watchTimeScale = scale }
        }

        let fit = MultiTaskNetwork.fit(features: dense, width: denseColumns.count, slots: slots, idColumns: idColumns.count,
                                       idRows: vocabularies.tableRows, history: history, categorySequence: searched, personal: personal, trainingRows: kept,
                                       validationRows: Array(validationRows), tasks: tasks, configuration: configuration)
        let model = MultiTaskRanker(configuration: configuration, scaling: fit.scaling, network: fit.network, vocabularies: vocabularies)

        let scores = fit.logits(dense, slots: slots, rows: Array(validationRows))
        var metrics = MultiTaskTarget.validationMetrics(scores, tasks: tasks, objectives: objectives, validationRows: validationRows,
                                                        users: examples.users, prediction: model.prediction)
        metrics["training.rows"] = Double(kept.count)
        return (model, TrainingReport(examples: examples.count, epochs: fit.history.epochs.count, metrics: metrics))
    }

    public func saved(version: String, report: TrainingReport?, window: TrainingWindow?) throws -> SavedModel {
        var tensors: [String: Tensor] = ["scaling.mean": Tensor(shape: [scaling.width], scalars: scaling.mean),
                                         "scaling.deviation": Tensor(shape: [scaling.width], scalars: scaling.deviation)]
        for (name, parameter) in network.namedParameters { tensors[name] = parameter.value }
        for (k, vocabulary) in vocabularies.enumerated() {
            tensors["vocabulary.\(k)"] = Tensor(shape: [vocabulary.frequent.count], scalars: vocabulary.frequent)
        }
        return try SavedModel(model: Self.modelName, version: version, configuration: configuration, tensors: tensors,
                              metrics: report?.metrics ?? [:], trainingWindow: window)
    }

    public init(saved: SavedModel) throws {
        let (manifest, tensors) = try saved.open(as: Self.modelName, configuration: Configuration.self)
        let configuration = manifest.configuration
        let names = configuration.featureNames
        let historyNames = names.filter(RankingExamples.isHistoryColumn)
        let searchedNames = names.filter(RankingExamples.isCategorySequenceColumn)
        let idNames = names.filter { RankingExamples.isIDColumn($0) && !RankingExamples.isSequenceColumn($0) }
        let width = names.count - idNames.count - historyNames.count - searchedNames.count
        guard let objectives = configuration.objectives, !objectives.isEmpty, width > 0 else {
            throw StageError("\(Self.modelName) artifact: its configuration names no objectives or features")
        }
        guard Array(names.suffix(idNames.count + historyNames.count + searchedNames.count)) == idNames + historyNames + searchedNames else {
            throw StageError("\(Self.modelName) artifact: its id columns do not follow its other features, and its sequences' columns them")
        }
        var vocabularies: [IDVocabulary] = []
        for (k, name) in idNames.enumerated() {
            guard let frequent = tensors["vocabulary.\(k)"], frequent.rank == 1,
                  zip(frequent.scalars, frequent.scalars.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw StageError("\(Self.modelName) artifact: no vocabulary for its id column '\(name)'")
            }
            vocabularies.append(IDVocabulary(frequent: frequent.scalars, buckets: configuration.ids.buckets,
                                             offset: vocabularies.tableRows))
        }
        let history = try Self.historyLayout(historyNames: historyNames, idNames: idNames, vocabularies: vocabularies)
        let searched = try Self.categorySequenceLayout(names: searchedNames, idNames: idNames, vocabularies: vocabularies)
        let personal = try Self.personalGates(configuration.personalGateUnits, denseNames: Array(names.prefix(width)), idNames: idNames)
        guard let mean = tensors["scaling.mean"], let deviation = tensors["scaling.deviation"],
              mean.shape == [width], deviation.shape == [width] else {
            throw StageError("\(Self.modelName) artifact: the feature scaling does not have one value per feature (\(width))")
        }
        var generator = SeededGenerator(seed: 0)
        let network = MultiTaskNetwork(input: width, tasks: objectives.count, configuration,
                                       idRows: vocabularies.tableRows, idColumns: idNames.count, history: history, categorySequence: searched,
                                       personal: personal, generator: &generator)
        try ModelArtifact.loadWeights(into: network, tensors: tensors)
        self.init(configuration: configuration, scaling: FeatureScaling(mean: mean.scalars, deviation: deviation.scalars), network: network,
                  vocabularies: vocabularies)
    }
}
