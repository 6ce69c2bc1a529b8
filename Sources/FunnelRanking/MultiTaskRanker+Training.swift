import Foundation
import FunnelEval
import FunnelStages
import FunnelTensor

extension MultiTaskRanker {
    /// Learns every configured objective the examples label with at least ten positives among
    /// the training rows, early-stopped on the mean validation AUC of the objectives.
    public static func train(on examples: RankingExamples, configuration: Configuration) throws -> (MultiTaskRanker, TrainingReport) {
        let trainingRows = examples.trainingRows, validationRows = examples.validationRows
        guard trainingRows.count >= 10, validationRows.count >= 10 else {
            throw StageError("\(modelName) needs at least 20 logged exposures, got \(examples.count)")
        }
        var objectives: [Objective] = []
        for objective in configuration.objectives ?? Objective.allCases {
            guard let labels = examples.labels[objective] else {
                if configuration.objectives != nil { throw StageError("\(modelName): the examples have no '\(objective.rawValue)' labels") }
                continue
            }
            let positives = trainingRows.reduce(0) { $0 + (labels[$1] > 0 ? 1 : 0) }
            if positives >= 10 && positives < trainingRows.count { objectives.append(objective) }
        }
        guard !objectives.isEmpty else {
            throw StageError("\(modelName): no objective has both positives and negatives among the \(trainingRows.count) training exposures")
        }

        // Per objective, the 0/1 outcome (for metrics) and what the loss fits: the outcome itself,
        // or for watch time T (in units of the mean watched T) a label T/(T + 1) of weight T + 1,
        // which is a positive of weight T plus a negative of weight 1 per exposure.
        var configuration = configuration
        configuration.objectives = objectives
        configuration.featureNames = examples.featureNames
        var outcomes: [[Float]] = [], targets: [[Float]] = [], weights: [[Float]?] = []
        for objective in objectives {
            let labels = examples.labels[objective]!
            outcomes.append(labels.map { $0 > 0 ? 1 : 0 })
            if objective.isProbability {
                targets.append(outcomes.last!)
                weights.append(nil)
            } else {
                let watched = trainingRows.map { labels[$0] }.filter { $0 > 0 }
                configuration.watchTimeScale = watched.reduce(0, +) / Float(watched.count)
                let units = labels.map { $0 / configuration.watchTimeScale }
                targets.append(units.map { $0 / ($0 + 1) })
                weights.append(units.map { $0 + 1 })
            }
        }

        let width = examples.width
        let scaling = FeatureScaling(fitting: examples.features, width: width, rows: trainingRows)
        let standardised = scaling.apply(examples.features)
        var generator = SeededGenerator(seed: configuration.training.seed)
        let network = Network(input: width, objectives: objectives.count, configuration, generator: &generator)
        let model = MultiTaskRanker(configuration: configuration, scaling: scaling, network: network)

        func logits(_ rows: some Collection<Int>, in graph: Graph) -> Node {
            var x: [Float] = []
            x.reserveCapacity(rows.count * width)
            for r in rows { x.append(contentsOf: standardised[(r * width)..<((r + 1) * width)]) }
            return network.logits(graph.constant(Tensor(shape: [rows.count, width], scalars: x)), gateDropout: configuration.gateDropout)
        }
        func validationScores() -> [[Float]] {
            let z = logits(validationRows, in: Graph(mode: .inference)).value.scalars
            return objectives.indices.map { k in stride(from: k, to: z.count, by: objectives.count).map { z[$0] } }
        }
        func validationAUCs(_ scores: [[Float]]) -> [Double] {
            objectives.indices.map { k in Metrics.auc(scores: scores[k], labels: Array(outcomes[k][validationRows])) }
        }
        var optimizer = Adam(learningRate: configuration.training.learningRate)
        let history = Trainer(configuration.training).fit(network, exampleCount: trainingRows.count, optimizer: &optimizer,
            loss: { graph, rows in
                let z = logits(rows, in: graph)
                let count = rows.count
                let losses = objectives.indices.map { k in
                    graph.binaryCrossEntropy(logits: z.slice(axis: 1, start: k, length: 1).reshaped([count]),
                                             labels: rows.map { targets[k][$0] }, weights: weights[k].map { w in rows.map { w[$0] } })
                }
                return losses.dropFirst().reduce(losses[0], +)
            },
            validate: {
                let aucs = validationAUCs(validationScores())
                return aucs.reduce(0, +) / Double(aucs.count)
            })

        // Per objective: AUC, per-user AUC and, for probabilities, log loss on the validation rows.
        let scores = validationScores()
        var interned: [String: Int32] = [:]
        let groups = validationRows.map { row in
            let user = examples.users[row]
            if let id = interned[user] { return id }
            interned[user] = Int32(interned.count)
            return Int32(interned.count - 1)
        }
        var metrics: [String: Double] = [:]
        for (k, objective) in objectives.enumerated() {
            let labels = Array(outcomes[k][validationRows])
            metrics["\(objective.rawValue).auc"] = Metrics.auc(scores: scores[k], labels: labels)
            metrics["\(objective.rawValue).gauc"] = Metrics.groupAUC(scores: scores[k], labels: labels, groups: groups)
            if objective.isProbability {
                metrics["\(objective.rawValue).logloss"] = Metrics.logLoss(probabilities: scores[k].map { 1 / (1 + exp(-$0)) }, labels: labels)
            }
        }
        return (model, TrainingReport(examples: examples.count, epochs: history.epochs.count, metrics: metrics))
    }

    public func saved(version: String, report: TrainingReport?, window: TrainingWindow?) throws -> SavedModel {
        var tensors: [String: Tensor] = ["scaling.mean": Tensor(shape: [scaling.width], scalars: scaling.mean),
                                         "scaling.deviation": Tensor(shape: [scaling.width], scalars: scaling.deviation)]
        for (name, parameter) in network.namedParameters { tensors[name] = parameter.value }
        return try SavedModel(model: Self.modelName, version: version, configuration: configuration, tensors: tensors,
                              metrics: report?.metrics ?? [:], trainingWindow: window)
    }

    public init(saved: SavedModel) throws {
        let (manifest, tensors) = try saved.open(as: Self.modelName, configuration: Configuration.self)
        let configuration = manifest.configuration
        let width = configuration.featureNames.count
        guard let objectives = configuration.objectives, !objectives.isEmpty, width > 0 else {
            throw StageError("\(Self.modelName) artifact: its configuration names no objectives or features")
        }
        guard let mean = tensors["scaling.mean"], let deviation = tensors["scaling.deviation"],
              mean.shape == [width], deviation.shape == [width] else {
            throw StageError("\(Self.modelName) artifact: the feature scaling does not have one value per feature (\(width))")
        }
        var generator = SeededGenerator(seed: 0)
        let network = Network(input: width, objectives: objectives.count, configuration, generator: &generator)
        try ModelArtifact.loadWeights(into: network, tensors: tensors)
        self.init(configuration: configuration, scaling: FeatureScaling(mean: mean.scalars, deviation: deviation.scalars), network: network)
    }
}
