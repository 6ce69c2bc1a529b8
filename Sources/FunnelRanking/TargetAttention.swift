import Foundation
import FunnelTensor

/// DIN's activation unit (Zhou et al., KDD 2018): a small network scores each step of a
/// behaviour sequence against the candidate from the step's vector h, the candidate's t and
/// their interactions, and the sequence is pooled by those scores, so the same history
/// summarises differently for each candidate.
///
/// The paper's input [h, t, h − t, h ⊙ t] times one matrix is the same family of functions as
/// [h, h ⊙ t] · W_h + t · W_t (the h − t block folds into the other two), which is what this
/// computes: the candidate's part once per row rather than once per step.
public struct TargetAttention: Module {
    public struct Configuration: Codable, Hashable, Sendable {
        /// The scoring network's hidden layers (DIN: 80, 40).
        public var hiddenUnits: [Int] = [80, 40]
        public var activation: Activation = .sigmoid
        public var normalization: Normalization = .softmax

        public init(hiddenUnits: [Int] = [80, 40], activation: Activation = .sigmoid, normalization: Normalization = .softmax) {
            (self.hiddenUnits, self.activation, self.normalization) = (hiddenUnits, activation, normalization)
        }
    }

    /// How step scores become pooling weights.
    public enum Normalization: String, Codable, Hashable, Sendable, CaseIterable {
        /// A softmax over the sequence's steps: the pooled vector is a weighted mean.
        case softmax
        /// The scores as they are, as in the paper, so that the pooled vector's size says how
        /// much of the history bears on the candidate.
        case none
    }

    public let configuration: Configuration
    public let dimension: Int
    /// The first layer's step part, over [h, h ⊙ t].
    public let step: Linear
    /// The first layer's candidate part, over t.
    public let candidate: Linear
    /// The later hidden layers, then the score.
    public let hidden: [Linear]
    public let score: Linear

    public init(dimension: Int, _ configuration: Configuration = Configuration(), generator: inout SeededGenerator) {
        precondition(dimension > 0 && !configuration.hiddenUnits.isEmpty && configuration.hiddenUnits.allSatisfy { $0 > 0 },
               "TargetAttention: needs a positive dimension and at least one positive hidden layer, got \(dimension) and \(configuration.hiddenUnits)")
        (self.configuration, self.dimension) = (configuration, dimension)
        let units = configuration.hiddenUnits
        step = Linear(input: 2 * dimension, output: units[0], generator: &generator)
        candidate = Linear(input: dimension, output: units[0], bias: false, generator: &generator)
        hidden = zip(units, units.dropFirst()).map { Linear(input: $0, output: $1, generator: &generator) }
        score = Linear(input: units.last!, output: 1, generator: &generator)
    }

    /// The pooling weight of each step of `history` (`[batch, steps, d]`) for `target`
    /// (`[batch, d]`): `[batch, steps]`, 0 past each row's length.
    public func weights(history: Node, target: Node, lengths: [Int]) -> Node {
        let graph = history.graph
        let shape = history.shape
        precondition(shape.count == 3 && shape[2] == dimension && target.shape == [shape[0], dimension] && lengths.count == shape[0],
               "TargetAttention: history [batch, steps, \(dimension)], target [batch, \(dimension)] and a length per row expected, got \(shape), \(target.shape) and \(lengths.count) lengths")
        let (batch, steps, d) = (shape[0], shape[1], dimension)
        if let network = network(in: graph) {
            return graph.targetAttention(history: history, target: target, lengths: lengths, network: network)
        }
        let units = configuration.hiddenUnits[0]
        let interaction = history * target.reshaped([batch, 1, d])
        let first = step([history.reshaped([batch * steps, d]), interaction.reshaped([batch * steps, d])]).reshaped([batch, steps, units])
            + candidate(target).reshaped([batch, 1, units])
        var h = configuration.activation(first).reshaped([batch * steps, units])
        for layer in hidden { h = configuration.activation(layer(h)) }
        let scores = score(h).reshaped([batch, steps])
        switch configuration.normalization {
        case .softmax:
            return graph.softmax(scores, lengths: lengths)
        case .none:
            var mask = Tensor(zeros: [batch, steps])
            for (row, length) in lengths.enumerated() { for t in 0..<length { mask.scalars[row * steps + t] = 1 } }
            return graph.masked(scores, mask: mask, fill: 0)
        }
    }

    /// The network as the graph's fused attention op takes it, or nil where that op does not
    /// apply (GELU) and the layers run as separate ops.
    func network(in graph: Graph) -> Graph.AttentionNetwork? {
        guard Graph.AttentionNetwork.supports(configuration.activation), let stepBias = step.bias, let scoreBias = score.bias,
              hidden.allSatisfy({ $0.bias != nil }) else { return nil }
        return Graph.AttentionNetwork(
            step: graph.parameter(step.weight), stepBias: graph.parameter(stepBias), candidate: graph.parameter(candidate.weight),
            hidden: hidden.map { (graph.parameter($0.weight), graph.parameter($0.bias!)) },
            score: graph.parameter(score.weight), scoreBias: graph.parameter(scoreBias),
            activation: configuration.activation, softmax: configuration.normalization == .softmax)
    }

    /// The history pooled for each row's target: `[batch, d]`.
    public func callAsFunction(history: Node, target: Node, lengths: [Int]) -> Node {
        history.graph.weightedSum(history, weights: weights(history: history, target: target, lengths: lengths))
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("step", step, visit)
        FunnelTensor.visit("candidate", candidate, visit)
        for (k, layer) in hidden.enumerated() { FunnelTensor.visit("hidden.\(k)", layer, visit) }
        FunnelTensor.visit("score", score, visit)
    }
}

extension TargetAttention {
    /// `weights` without a graph: `history` holds `[batch · steps, d]` (each row's steps one
    /// after another), or with `shared` the `[steps, d]` every row reads (one request's
    /// candidates share their user's sequence); `target` `[batch, d]`. The result is `[batch,
    /// steps]`, 0 past each length.
    public func weights(history: Matrix, shared: Bool = false, target: Matrix, lengths: [Int], in workspace: Workspace) -> Matrix {
        let (batch, d) = (target.rows, dimension)
        let steps = shared ? history.rows : batch > 0 ? history.rows / batch : 0
        precondition(history.columns == d && target.columns == d && (shared || history.rows == batch * steps) && lengths.count == batch,
               "TargetAttention: history [batch · steps, \(d)] (or [steps, \(d)] shared), target [batch, \(d)] and a length per row expected, got [\(history.rows), \(history.columns)], [\(target.rows), \(target.columns)] and \(lengths.count) lengths")
        var h = shared
            ? firstLayer(sharedHistory: history.base, steps: steps, target: target, in: workspace)
            : firstLayer(history: history, target: target, steps: steps, in: workspace)
        for layer in hidden {
            h = layer.forward(h, in: workspace)
            configuration.activation.apply(h)
        }
        let scores = score.forward(h, in: workspace)
        let out = workspace.matrix(rows: batch, columns: steps)
        for b in 0..<batch {
            let row = scores.base + b * steps, o = out.base + b * steps, length = lengths[b]
            o.update(repeating: 0, count: steps)
            guard length > 0 else { continue }
            switch configuration.normalization {
            case .softmax:
                var m = row[0]
                for s in 1..<length { m = max(m, row[s]) }
                var sum: Float = 0
                for s in 0..<length {
                    o[s] = Foundation.exp(row[s] - m)
                    sum += o[s]
                }
                for s in 0..<length { o[s] /= sum }
            case .none:
                o.update(from: row, count: length)
            }
        }
        return out
    }

    /// The first layer, activated, `[batch · steps, units]`, from the step part of [h, h ⊙ t]
    /// and the candidate part, one product each.
    private func firstLayer(history: Matrix, target: Matrix, steps: Int, in workspace: Workspace) -> Matrix {
        let (batch, d) = (target.rows, dimension)
        let interaction = workspace.matrix(rows: history.rows, columns: d)
        for b in 0..<batch {
            let t = target.base + b * d
            for s in 0..<steps {
                let h = history.base + (b * steps + s) * d, o = interaction.base + (b * steps + s) * d
                for j in 0..<d { o[j] = h[j] * t[j] }
            }
        }
        let first = step.forward([history, interaction], in: workspace)
        let fromTarget = candidate.forward(target, in: workspace)
        let units = first.columns
        for b in 0..<batch {
            let c = fromTarget.base + b * units
            for s in 0..<steps {
                let row = first.base + (b * steps + s) * units
                for j in 0..<units { row[j] += c[j] }
            }
            configuration.activation.apply(first.base + b * steps * units, count: steps * units)
        }
        return first
    }

    /// The same when every row reads the steps `sharedHistory` (`[steps, d]`). With W = [W_h; W_i]
    /// the step weights and W_t the candidate's, step s of row t is
    /// h_s · W_h + b + t · (diag(h_s) · W_i + W_t): the first term once per step, the second
    /// one product of the targets with the steps' matrices side by side, which lays its result
    /// out as `[batch · steps, units]` without building h ⊙ t for every row. The first term is
    /// added row by row just before the activation, while the row is in cache.
    private func firstLayer(sharedHistory h: UnsafeMutablePointer<Float>, steps: Int, target: Matrix, in workspace: Workspace) -> Matrix {
        let (batch, d) = (target.rows, dimension)
        let units = step.outputSize, width = steps * units
        let perStep = workspace.matrix(rows: steps, columns: units)
        let stepsMatrix = workspace.matrix(rows: d, columns: width)
        step.weight.value.scalars.withUnsafeBufferPointer { w in
            let bias = step.bias?.value.scalars ?? Array(repeating: 0, count: units)
            for s in 0..<steps { (perStep.base + s * units).update(from: bias, count: units) }
            BLAS.gemm(transposeA: false, transposeB: false, m: steps, n: units, k: d, a: h, b: w.baseAddress!, beta: 1, c: perStep.base)
            candidate.weight.value.scalars.withUnsafeBufferPointer { c in
                for i in 0..<d {
                    let wi = w.baseAddress! + (d + i) * units, ct = c.baseAddress! + i * units, row = stepsMatrix.base + i * width
                    for s in 0..<steps {
                        let scale = h[s * d + i], o = row + s * units
                        for j in 0..<units { o[j] = scale * wi[j] + ct[j] }
                    }
                }
            }
        }
        let first = workspace.matrix(rows: batch * steps, columns: units)
        BLAS.gemm(transposeA: false, transposeB: false, m: batch, n: width, k: d, a: target.base, b: stepsMatrix.base, beta: 0, c: first.base)
        for b in 0..<batch {
            let row = first.base + b * width
            for j in 0..<width { row[j] += perStep.base[j] }
            configuration.activation.apply(row, count: width)
        }
        return first
    }
}
