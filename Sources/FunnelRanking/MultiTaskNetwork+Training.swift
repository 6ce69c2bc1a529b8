import FunnelEval
import FunnelStages
import FunnelTensor

extension MultiTaskNetwork {
    /// A trained network, the standardisation of its input, and how training went.
    public struct Fit {
        public let network: MultiTaskNetwork
        public let scaling: FeatureScaling
        public let history: TrainingHistory

        /// Per task, the logits of `rows` of the unstandardised `features` (row-major, the
        /// training width) and their id rows `slots` (`slotsPerRow` per row), through the
        /// forward-only path.
        public func logits(_ features: [Float], slots: [Int32] = [], rows: [Int]) -> [[Float]] {
            network.taskLogits(RankingBatch(width: scaling.width, features: features), slots: slots, rows: rows, scaling: scaling)
        }
    }

    /// Per task, the logits of `rows` of `batch` (standardised here by `scaling` when given)
    /// with their id rows in `slots`, in chunks through the forward-only path.
    func taskLogits(_ batch: RankingBatch, slots: [Int32] = [], rows: [Int], scaling: FeatureScaling? = nil) -> [[Float]] {
        var out = [[Float]](repeating: [], count: taskCount)
        let chunk = 8_192
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let part = rows[start..<min(rows.count, start + chunk)]
            let gathered = batch.rows(part).features
            let x = scaling?.apply(gathered) ?? gathered
            let partSlots = slotRows(slots, part)
            let z = Workspace.borrow { workspace -> [Float] in
                logits(input(workspace.matrix(rows: part.count, copying: x), slots: partSlots, in: workspace), in: workspace).scalars
            }
            for k in 0..<taskCount { out[k].append(contentsOf: stride(from: k, to: z.count, by: taskCount).map { z[$0] }) }
        }
        return out
    }

    /// The id rows of `rows`, `slotsPerRow` each, from `slots`.
    func slotRows(_ slots: [Int32], _ rows: some Collection<Int>) -> [Int32] {
        let perRow = slotsPerRow
        guard perRow > 0 else { return [] }
        var out: [Int32] = []
        out.reserveCapacity(rows.count * perRow)
        for r in rows { out += slots[(r * perRow)..<((r + 1) * perRow)] }
        return out
    }

    /// Trains a network for `tasks` on `trainingRows` of `features` (row-major, `width`
    /// columns, standardised by the training rows' statistics) and, with id columns, of
    /// `slots` (`idColumns` rows of a table of `idRows` per example, then the sequences'
    /// `history` and `categorySequence` lay out), early-stopped on the mean
    /// AUC of the tasks over `validationRows`.
    public static func fit(features: [Float], width: Int, slots: [Int32] = [], idColumns: Int = 0, idRows: Int = 0,
                           history: HistoryPooling.Layout? = nil, categorySequence: HistoryPooling.Layout? = nil,
                           personal: PersonalGates? = nil, trainingRows: [Int], validationRows: [Int],
                           tasks: [MultiTaskTarget], configuration: MultiTaskRanker.Configuration,
                           onEvent: (TrainingEvent) -> Void = { _ in }) -> Fit {
        precondition(!tasks.isEmpty && !trainingRows.isEmpty && !validationRows.isEmpty, "a multi-task fit needs tasks, training and validation rows")
        let scaling = FeatureScaling(fitting: features, width: width, rows: trainingRows)
        let standardised = RankingBatch(width: width, features: scaling.apply(features))
        var generator = SeededGenerator(seed: configuration.training.seed)
        let network = MultiTaskNetwork(input: width, tasks: tasks.count, configuration, idRows: idRows, idColumns: idColumns,
                                       history: history, categorySequence: categorySequence, personal: personal, generator: &generator)
        let validationOutcomes = tasks.map { task in validationRows.map { task.outcomes[$0] } }

        var optimizer = Adam(learningRate: configuration.training.learningRate)
        let history = Trainer(configuration.training).fit(network, exampleCount: trainingRows.count, optimizer: &optimizer,
            loss: { graph, positions in
                let rows = positions.map { trainingRows[$0] }
                let x = standardised.rows(rows).features
                let input = network.input(graph.constant(Tensor(shape: [rows.count, width], scalars: x)), slots: network.slotRows(slots, rows))
                let z = network.logits(input, gateDropout: configuration.gateDropout)
                let losses = tasks.indices.map { k in
                    graph.binaryCrossEntropy(logits: z.slice(axis: 1, start: k, length: 1).reshaped([rows.count]),
                                             labels: rows.map { tasks[k].targets[$0] },
                                             weights: tasks[k].weights.map { w in rows.map { w[$0] } })
                }
                return losses.dropFirst().reduce(losses[0], +)
            },
            validate: {
                let scores = network.taskLogits(standardised, slots: slots, rows: validationRows)
                let aucs = tasks.indices.map { Metrics.auc(scores: scores[$0], labels: validationOutcomes[$0]) }
                return aucs.reduce(0, +) / Double(aucs.count)
            },
            onEvent: onEvent)
        return Fit(network: network, scaling: scaling, history: history)
    }
}
