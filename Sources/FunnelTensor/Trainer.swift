import Foundation

/// How a model is trained: batches, epochs, learning rate and early stopping.
public struct TrainingConfiguration: Codable, Hashable, Sendable {
    public var epochs = 100
    public var batchSize = 4096
    public var learningRate: Float = 1e-3
    public var schedule: LearningRateSchedule = .constant
    /// Epochs without a better validation score before training stops.
    public var patience = 2
    /// The learning rate is multiplied by this after each epoch that does not improve (1 = never).
    public var plateauFactor: Float = 0.1
    /// Clip gradients to this global norm, if set.
    public var clipNorm: Float?
    /// Batches of training examples over which batch norm's running statistics are estimated
    /// afresh, with the weights fixed and dropout off, after each epoch and before validation
    /// (0 = keep the averages gathered during the epoch). Those averages trail weights that keep
    /// moving and were taken with dropout on, so they can miss what the layers see at inference
    /// by far more than batches differ. Only models with running statistics pay for it: 16
    /// batches of 4,096 cost about a tenth of an epoch on Frappe.
    public var batchNormStatisticsBatches = 16
    public var seed: UInt64 = 2021

    public init(epochs: Int = 100, batchSize: Int = 4096, learningRate: Float = 1e-3, schedule: LearningRateSchedule = .constant,
                patience: Int = 2, plateauFactor: Float = 0.1, clipNorm: Float? = nil, seed: UInt64 = 2021) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.schedule = schedule
        self.patience = patience
        self.plateauFactor = plateauFactor
        self.clipNorm = clipNorm
        self.seed = seed
    }
}

/// What happens during training, for progress displays and logs.
public enum TrainingEvent: Sendable {
    case batch(epoch: Int, batch: Int, of: Int, loss: Float)
    case epoch(EpochSummary)
}

public struct EpochSummary: Sendable, Codable {
    public var epoch: Int
    public var trainingLoss: Double
    public var validationScore: Double
    public var learningRate: Float
    public var seconds: Double
    public var examplesPerSecond: Double
    public var improved: Bool
}

public struct TrainingHistory: Sendable, Codable {
    public var epochs: [EpochSummary] = []
    public var bestEpoch: Int?
    public var bestScore: Double?
}

/// The training loop shared by every model: shuffled mini-batches, a loss built per batch in a
/// fresh graph, an optimizer step, validation after each epoch, learning-rate reduction on
/// plateau, early stopping, and the best weights restored at the end.
public struct Trainer {
    public var configuration: TrainingConfiguration

    public init(_ configuration: TrainingConfiguration) {
        self.configuration = configuration
    }

    /// Trains `model` on `exampleCount` examples.
    /// - Parameters:
    ///   - loss: builds the scalar loss of the examples at the given rows in the given graph.
    ///   - validate: scores the current model; higher is better.
    ///   - arrange: orders the examples before each epoch (batches are consecutive runs of
    ///     them); a plain shuffle when nil. Length-bucketed sequences use it.
    @discardableResult
    public func fit<O: Optimizer>(_ model: some Module, exampleCount: Int, optimizer: inout O,
                                  loss: (Graph, ArraySlice<Int>) -> Node,
                                  validate: () -> Double,
                                  arrange: ((inout [Int], inout SeededGenerator) -> Void)? = nil,
                                  onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingHistory {
        let c = configuration
        ensure(c.batchSize > 0 && exampleCount > 0, "training needs examples and a positive batch size")
        var generator = SeededGenerator(seed: c.seed)
        var order = Array(0..<exampleCount)
        let parameters = model.trainableParameters
        let all = model.namedParameters.map(\.parameter)
        let hasRunningStatistics = all.contains { !$0.isTrainable }
        var history = TrainingHistory()
        var best: [Tensor]?
        var baseRate = c.learningRate
        var stale = 0
        var step = 0
        let batches = (exampleCount + c.batchSize - 1) / c.batchSize
        func batchRows(_ b: Int) -> ArraySlice<Int> { order[(b * c.batchSize)..<min(exampleCount, (b + 1) * c.batchSize)] }
        for epoch in 1...max(1, c.epochs) {
            if let arrange { arrange(&order, &generator) } else { order.shuffle(using: &generator) }
            let start = Date()
            var total = 0.0
            for b in 0..<batches {
                let rows = batchRows(b)
                optimizer.learningRate = c.schedule.rate(at: step, base: baseRate)
                let graph = Graph(mode: .training, seed: generator.next())
                let l = loss(graph, rows)
                graph.backward(l)
                if let clip = c.clipNorm { GradientClipping.clipByGlobalNorm(parameters, maxNorm: clip) }
                optimizer.step(parameters)
                let value = l.value.scalar
                total += Double(value) * Double(rows.count)
                step += 1
                onEvent(.batch(epoch: epoch, batch: b + 1, of: batches, loss: value))
            }
            if c.batchNormStatisticsBatches > 0 && hasRunningStatistics {
                for b in 0..<min(batches, c.batchNormStatisticsBatches) {
                    _ = loss(Graph(mode: .statistics(batch: b)), batchRows(b))
                }
            }
            let seconds = Date().timeIntervalSince(start)
            let score = validate()
            let improved = score > (history.bestScore ?? -.infinity)
            if improved {
                history.bestScore = score
                history.bestEpoch = epoch
                best = all.map(\.value)
                stale = 0
            } else {
                stale += 1
                baseRate *= c.plateauFactor
            }
            let summary = EpochSummary(epoch: epoch, trainingLoss: total / Double(exampleCount), validationScore: score,
                                       learningRate: optimizer.learningRate, seconds: seconds,
                                       examplesPerSecond: Double(exampleCount) / max(seconds, 1e-9), improved: improved)
            history.epochs.append(summary)
            onEvent(.epoch(summary))
            if stale >= c.patience { break }
        }
        if let best {
            for (p, value) in zip(all, best) { p.value = value }
        }
        return history
    }
}
