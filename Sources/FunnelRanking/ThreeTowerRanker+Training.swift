import Foundation
import FunnelEval
import FunnelStages
import FunnelTensor

extension ThreeTowerRanker {
    /// Learns every configured objective the examples label with at least ten positives among
    /// the training rows. Each training target is `distillation` × the teacher's prediction
    /// (when the examples carry one for the objective) + the rest × the logged outcome. Early
    /// stopping watches the loss on the validation rows' targets; the report scores their
    /// logged outcomes.
    public static func train(on examples: RankingExamples, configuration: Configuration) throws -> (ThreeTowerRanker, TrainingReport) {
        let trainingRows = examples.trainingRows, validationRows = examples.validationRows
        guard trainingRows.count >= 10, validationRows.count >= 10 else {
            throw StageError("\(modelName) needs at least 20 logged exposures, got \(examples.count)")
        }
        let objectives = try MultiTaskTarget.objectives(examples, configured: configuration.objectives, model: modelName)
        let names = examples.featureNames
        var columns: [Side: [Int]] = [:]
        for (k, name) in names.enumerated() { if let side = side(of: name) { columns[side, default: []].append(k) } }
        let order = Side.allCases.flatMap { columns[$0] ?? [] }
        guard !order.isEmpty else { throw StageError("\(modelName) needs at least one feature besides id columns") }
        let widths = ThreeTowerNetwork.Widths(user: columns[.user]?.count ?? 0, item: columns[.item]?.count ?? 0,
                                              cross: columns[.cross]?.count ?? 0)
        var configuration = configuration
        configuration.objectives = objectives
        configuration.featureNames = order.map { names[$0] }
        let features = RankingBatch(width: examples.width, features: examples.features, columns: order).features

        var tasks: [MultiTaskTarget] = [], distilled = 0
        for objective in objectives {
            let labels = examples.labels[objective]!
            var fitted: [Float]?
            if let taught = examples.teacher?[objective], taught.count == labels.count, configuration.distillation > 0 {
                let share = configuration.distillation
                fitted = labels.indices.map { share * taught[$0] + (1 - share) * labels[$0] }
                distilled += 1
            }
            let (task, scale) = MultiTaskTarget.task(objective, labels: labels, fitted: fitted, trainingRows: trainingRows, weights: nil)
            tasks.append(task)
            if let scale { configuration.watchTimeScale = scale }
        }

        let scaling = FeatureScaling(fitting: features, width: widths.total, rows: trainingRows)
        let standardised = RankingBatch(width: widths.total, features: scaling.apply(features))
        var generator = SeededGenerator(seed: configuration.training.seed)
        let network = ThreeTowerNetwork(widths: widths, tasks: tasks.count, configuration, generator: &generator)
        let model = ThreeTowerRanker(configuration: configuration, scaling: scaling, network: network)
        let validation = RankingBatch(width: widths.total, features: Array(features[(validationRows.lowerBound * widths.total)...]))
        func validationLogits() -> [[Float]] {
            let z = Workspace.borrow { model.logits(validation, cached: false, in: $0).scalars }
            return tasks.indices.map { k in stride(from: k, to: z.count, by: tasks.count).map { z[$0] } }
        }
        var optimizer = Adam(learningRate: configuration.training.learningRate)
        let width = widths.total
        let history = Trainer(configuration.training).fit(network, exampleCount: trainingRows.count, optimizer: &optimizer,
            loss: { graph, rows in
                let x = standardised.rows(rows).features
                let z = network.logits(graph.constant(Tensor(shape: [rows.count, width], scalars: x)))
                let losses = tasks.indices.map { k in
                    graph.binaryCrossEntropy(logits: z.slice(axis: 1, start: k, length: 1).reshaped([rows.count]),
                                             labels: rows.map { tasks[k].targets[$0] }, weights: tasks[k].weights.map { w in rows.map { w[$0] } })
                }
                return losses.dropFirst().reduce(losses[0], +)
            },
            validate: {
                // Minus the loss on the validation rows' targets: what training fits, the
                // teacher's scores among them, rather than the outcomes alone.
                let scores = validationLogits()
                var loss = 0.0
                for (k, task) in tasks.enumerated() {
                    for (i, row) in validationRows.enumerated() {
                        let z = Double(scores[k][i]), t = Double(task.targets[row])
                        loss += Double(task.weights?[row] ?? 1) * (max(z, 0) - z * t + log1p(exp(-abs(z))))
                    }
                }
                return -loss / Double(validationRows.count)
            })
        var metrics = MultiTaskTarget.validationMetrics(validationLogits(), tasks: tasks, objectives: objectives, validationRows: validationRows,
                                                        users: examples.users, prediction: model.prediction)
        metrics["distilled.objectives"] = Double(distilled)
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
        let sides = configuration.featureNames.map(Self.side(of:))
        guard let objectives = configuration.objectives, !objectives.isEmpty, !sides.isEmpty else {
            throw StageError("\(Self.modelName) artifact: its configuration names no objectives or features")
        }
        let known = sides.compactMap { $0 }
        guard known.count == sides.count, known == known.sorted(by: { Side.allCases.firstIndex(of: $0)! < Side.allCases.firstIndex(of: $1)! }) else {
            throw StageError("\(Self.modelName) artifact: its features are not the user tower's, then the item tower's, then the cross tower's")
        }
        let widths = ThreeTowerNetwork.Widths(user: known.filter { $0 == .user }.count, item: known.filter { $0 == .item }.count,
                                              cross: known.filter { $0 == .cross }.count)
        guard let mean = tensors["scaling.mean"], let deviation = tensors["scaling.deviation"],
              mean.shape == [widths.total], deviation.shape == [widths.total] else {
            throw StageError("\(Self.modelName) artifact: the feature scaling does not have one value per feature (\(widths.total))")
        }
        guard widths.user == 0 || widths.item == 0 || configuration.userUnits.last == configuration.itemUnits.last else {
            throw StageError("\(Self.modelName) artifact: its user and item towers' widths do not agree")
        }
        var generator = SeededGenerator(seed: 0)
        let network = ThreeTowerNetwork(widths: widths, tasks: objectives.count, configuration, generator: &generator)
        try ModelArtifact.loadWeights(into: network, tensors: tensors)
        self.init(configuration: configuration, scaling: FeatureScaling(mean: mean.scalars, deviation: deviation.scalars), network: network)
    }
}
