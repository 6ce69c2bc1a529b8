import Foundation
import FunnelTensor

/// The layers of a multi-task model: experts mixed per task by a softmax gate (MMoE), or one
/// shared bottom, then a small tower and a one-logit head per task. The experts and gates read
/// the dense features, then, with id columns, each column's embedding side by side, then, with
/// a behaviour sequence, the sequence pooled for the candidate (`HistoryPooling`).
public final class MultiTaskNetwork: Module, @unchecked Sendable {
    /// One table for every id column's rows (`IDVocabulary.offset` places each), if any.
    let ids: Embedding?
    /// The row's own id columns; the sequence's slots follow them.
    let idColumns: Int
    let history: HistoryPooling?
    let experts: [MLP]
    let gates: [Linear]
    let towers: [MLP]
    let heads: [Linear]

    /// `input` dense features; `idColumns` id columns whose embeddings share `idRows` rows;
    /// `history`: a behaviour sequence in the same rows, after them.
    public init(input dense: Int, tasks: Int, _ c: MultiTaskRanker.Configuration, idRows: Int = 0, idColumns: Int = 0,
                history layout: HistoryPooling.Layout? = nil, generator: inout SeededGenerator) {
        precondition(layout == nil || idColumns > 0, "a behaviour sequence shares the id columns' rows")
        self.idColumns = idColumns
        ids = idColumns > 0 ? Embedding(rows: idRows, dimension: c.ids.dimension, standardDeviation: 0.05, generator: &generator) : nil
        ids?.table.l2Penalty = c.ids.l2
        let sequence = c.behaviourSequence
        history = layout.map {
            HistoryPooling($0, dimension: c.ids.dimension, pooling: sequence.pooling,
                           attention: TargetAttention.Configuration(hiddenUnits: sequence.attentionUnits), recency: sequence.recency,
                           generator: &generator)
        }
        let input = dense + idColumns * (ids?.dimension ?? 0) + (history?.outputWidth ?? 0)
        let expertCount = c.architecture == .mmoe ? c.experts : 1
        let block = MLP.Configuration(hiddenUnits: c.expertUnits, dropout: c.dropout)
        experts = (0..<expertCount).map { _ in MLP(input: input, block, generator: &generator) }
        gates = c.architecture == .mmoe ? (0..<tasks).map { _ in Linear(input: input, output: expertCount, generator: &generator) } : []
        let width = c.expertUnits.last ?? input
        towers = (0..<tasks).map { _ in MLP(input: width, .init(hiddenUnits: c.towerUnits, dropout: c.dropout), generator: &generator) }
        heads = towers.map { Linear(input: $0.outputSize > 0 ? $0.outputSize : width, output: 1, generator: &generator) }
    }

    public var taskCount: Int { towers.count }

    /// The columns the id embeddings and the pooled sequence add to the dense features.
    var embeddedWidth: Int { idColumns * (ids?.dimension ?? 0) + (history?.outputWidth ?? 0) }

    /// Id slots per row: the row's own, then the sequence's.
    var slotsPerRow: Int { idColumns + (history.map { $0.layout.steps * $0.layout.fields } ?? 0) }

    /// A batch's slots split: each row's own, each row's targets (the own slots a sequence
    /// step is matched with), each row's sequence.
    private func split(_ slots: [Int32], rows: Int) -> (own: [Int32], targets: [Int32], sequence: [Int32]) {
        guard let layout = history?.layout else { return (slots, [], []) }
        let perRow = slotsPerRow, sequenceWidth = perRow - idColumns
        var own = [Int32](repeating: 0, count: rows * idColumns), targets = [Int32](repeating: 0, count: rows * layout.fields)
        var sequence = [Int32](repeating: 0, count: rows * sequenceWidth)
        slots.withUnsafeBufferPointer { s in
            for r in 0..<rows {
                let row = s.baseAddress! + r * perRow
                for k in 0..<idColumns { own[r * idColumns + k] = row[k] }
                for (f, t) in layout.targets.enumerated() { targets[r * layout.fields + f] = row[t] }
                for k in 0..<sequenceWidth { sequence[r * sequenceWidth + k] = row[idColumns + k] }
            }
        }
        return (own, targets, sequence)
    }

    /// What the experts and gates read: the dense features `x` (`[batch, dense]`), then the
    /// embeddings of the rows `slots` (`slotsPerRow` per row) side by side, then the pooled
    /// sequence.
    public func input(_ x: Node, slots: [Int32]) -> Node {
        guard let ids else { return x }
        let graph = x.graph, batch = x.value.shape[0], d = ids.dimension
        let (own, targets, sequence) = split(slots, rows: batch)
        var parts = [x, ids(own, shape: [batch, idColumns], in: graph).reshaped([batch, idColumns * d])]
        if let history {
            let layout = history.layout
            let steps = ids(sequence, shape: [batch, layout.steps * layout.fields], in: graph).reshaped([batch, layout.steps, history.width])
            let target = ids(targets, shape: [batch, layout.fields], in: graph).reshaped([batch, history.width])
            parts.append(history(history: steps, target: target, lengths: history.lengths(sequence, rows: batch)))
        }
        return graph.concat(parts, axis: 1)
    }

    /// `input` without a graph: `x`'s dense columns, then the embeddings, in a new matrix.
    public func input(_ x: Matrix, slots: [Int32], in workspace: Workspace) -> Matrix {
        ids == nil ? x : input(rows: x.rows, x.base, stride: x.columns, dense: x.columns, slots: slots, in: workspace)
    }

    /// `input` from `rows` rows whose first `dense` values, `stride` apart, are the dense features.
    func input(rows: Int, _ x: UnsafePointer<Float>, stride: Int, dense: Int, slots: [Int32], in workspace: Workspace) -> Matrix {
        let full = workspace.matrix(rows: rows, columns: dense + embeddedWidth)
        for r in 0..<rows { (full.base + r * full.columns).update(from: x + r * stride, count: dense) }
        guard let ids, rows > 0 else { return full }
        let (own, targets, sequence) = split(slots, rows: rows)
        ids.gather(own, into: full, column: dense)
        if let history {
            // One request's candidates share their user's sequence: its steps are gathered
            // once, and the attention reads them once.
            let layout = history.layout, perRow = layout.steps * layout.fields
            let shared = sequence.withUnsafeBufferPointer { s in
                (1..<rows).allSatisfy { memcmp(s.baseAddress!, s.baseAddress! + $0 * perRow, perRow * MemoryLayout<Int32>.size) == 0 }
            }
            let steps = workspace.matrix(rows: (shared ? 1 : rows) * layout.steps, columns: history.width)
            ids.gather(shared ? Array(sequence.prefix(perRow)) : sequence, into: steps)
            let target = workspace.matrix(rows: rows, columns: history.width)
            ids.gather(targets, into: target)
            let lengths = shared ? Array(repeating: history.lengths(sequence, rows: 1)[0], count: rows) : history.lengths(sequence, rows: rows)
            history.forward(history: steps, shared: shared, target: target, lengths: lengths,
                            into: full.base + dense + idColumns * ids.dimension, stride: full.columns, in: workspace)
        }
        return full
    }

    /// One logit column per task, [batch, tasks].
    public func logits(_ x: Node, gateDropout: Float) -> Node {
        let graph = x.graph
        let batch = x.value.shape[0]
        let outputs = experts.map { $0(x) }
        let mixtures: [Node]
        if gates.isEmpty {
            mixtures = Array(repeating: outputs[0], count: towers.count)
        } else {
            // [batch, experts, units]: each row's experts, mixed under each task's gate.
            let units = outputs[0].value.shape[1]
            let stacked = graph.concat(outputs, axis: 1).reshaped([batch, experts.count, units])
            mixtures = gates.map { gate in
                graph.weightedSum(stacked, weights: graph.dropout(gate(x).softmax(), rate: gateDropout))
            }
        }
        let columns = zip(zip(towers, heads), mixtures).map { pair, mixture in pair.1(pair.0(mixture)) }
        return graph.concat(columns, axis: 1)
    }

    /// The same logits without a graph: every task's gate in one product and one softmax pass,
    /// each mixture a weighted sum of rows.
    public func logits(_ x: Matrix, in workspace: Workspace) -> Matrix {
        let outputs = experts.map { $0.forward(x, in: workspace) }
        let gateWeights = gates.isEmpty ? nil : Linear.forward(sideBySide: gates, x, in: workspace)
        gateWeights?.softmax(groupsOf: experts.count)
        return logits(experts: outputs, gates: gateWeights, in: workspace)
    }

    /// The logits from the experts' outputs and the gates' softmax weights (`[batch, tasks ×
    /// experts]`, nil for a shared bottom): each task's mixture through its tower and head.
    func logits(experts outputs: [Matrix], gates gateWeights: Matrix?, in workspace: Workspace) -> Matrix {
        let rows = outputs[0].rows
        let out = workspace.matrix(rows: rows, columns: towers.count)
        for task in 0..<towers.count {
            let mixture = gateWeights.map {
                Matrix.weightedSum(outputs, weights: $0, column: task * experts.count, in: workspace)
            } ?? outputs[0]
            let z = heads[task].forward(towers[task].forward(mixture, in: workspace), in: workspace)
            for r in 0..<rows { out.base[r * towers.count + task] = z.base[r] }
        }
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        if let ids { FunnelTensor.visit("ids", ids, visit) }
        if let history { FunnelTensor.visit("history", history, visit) }
        FunnelTensor.visit("experts", experts, visit)
        FunnelTensor.visit("gates", gates, visit)
        FunnelTensor.visit("towers", towers, visit)
        FunnelTensor.visit("heads", heads, visit)
    }
}
