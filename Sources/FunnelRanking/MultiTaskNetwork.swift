import Foundation
import FunnelTensor

/// The layers of a multi-task model: experts mixed per task by a softmax gate (MMoE), or one
/// shared bottom, then a small tower and a one-logit head per task. The experts and gates read
/// the dense features, then, with id columns, each column's embedding side by side, then each
/// sequence (the behaviour sequence, then the category sequence) pooled for the candidate
/// (`HistoryPooling`). With personal gates (PPNet), each hidden layer of every expert is scaled
/// unit by unit by a gate (`LHUCGate`) that reads the user's side of the row: their dense
/// columns and their id's embedding, the same for every candidate of a request.
public final class MultiTaskNetwork: Module, @unchecked Sendable {
    /// What the personal gates read and how wide their hidden layer is.
    public struct PersonalGates: Codable, Sendable, Equatable {
        /// Dense columns, in increasing order.
        public var columns: [Int]
        /// The user's id column among the row's own id columns, if any.
        public var idColumn: Int?
        public var hiddenUnits: Int

        public init(columns: [Int], idColumn: Int?, hiddenUnits: Int) {
            (self.columns, self.idColumn, self.hiddenUnits) = (columns, idColumn, hiddenUnits)
        }
    }

    /// One table for every id column's rows (`IDVocabulary.offset` places each), if any.
    let ids: Embedding?
    /// The row's own id columns; the sequences' slots follow them.
    let idColumns: Int
    let history: HistoryPooling?
    let categorySequence: HistoryPooling?
    /// Dense features per row.
    let dense: Int
    let personal: PersonalGates?
    /// One gate per hidden layer of the experts, shared by the experts.
    let personalGates: [LHUCGate]
    let experts: [MLP]
    let gates: [Linear]
    let towers: [MLP]
    let heads: [Linear]

    /// `input` dense features; `idColumns` id columns whose embeddings share `idRows` rows;
    /// `history` and `categorySequence`: sequences in the same rows, after them, in that order.
    public init(input dense: Int, tasks: Int, _ c: MultiTaskRanker.Configuration, idRows: Int = 0, idColumns: Int = 0,
                history layout: HistoryPooling.Layout? = nil, categorySequence searched: HistoryPooling.Layout? = nil,
                personal: PersonalGates? = nil, generator: inout SeededGenerator) {
        precondition((layout == nil && searched == nil) || idColumns > 0, "a sequence shares the id columns' rows")
        precondition(personal.map { p in p.columns.allSatisfy { (0..<dense).contains($0) } && (p.idColumn.map { (0..<idColumns).contains($0) } ?? true)
                                        && p.columns.count + (p.idColumn == nil ? 0 : 1) > 0 } ?? true,
                     "personal gates read some of the dense columns or the own id columns")
        self.idColumns = idColumns
        self.dense = dense
        self.personal = personal
        ids = idColumns > 0 ? Embedding(rows: idRows, dimension: c.ids.dimension, standardDeviation: 0.05, generator: &generator) : nil
        ids?.table.l2Penalty = c.ids.l2
        let sequence = c.behaviourSequence
        func pooling(_ layout: HistoryPooling.Layout) -> HistoryPooling {
            HistoryPooling(layout, dimension: c.ids.dimension, pooling: sequence.pooling,
                           attention: TargetAttention.Configuration(hiddenUnits: sequence.attentionUnits), recency: sequence.recency,
                           generator: &generator)
        }
        history = layout.map(pooling)
        categorySequence = searched.map(pooling)
        let input = dense + idColumns * (ids?.dimension ?? 0) + [history, categorySequence].reduce(0) { $0 + ($1?.outputWidth ?? 0) }
        let expertCount = c.architecture == .mmoe ? c.experts : 1
        let block = MLP.Configuration(hiddenUnits: c.expertUnits, dropout: c.dropout)
        experts = (0..<expertCount).map { _ in MLP(input: input, block, generator: &generator) }
        let gateInput = (personal?.columns.count ?? 0) + (personal?.idColumn == nil ? 0 : c.ids.dimension)
        personalGates = personal.map { p in c.expertUnits.map { LHUCGate(input: gateInput, hidden: p.hiddenUnits, units: $0, generator: &generator) } } ?? []
        gates = c.architecture == .mmoe ? (0..<tasks).map { _ in Linear(input: input, output: expertCount, generator: &generator) } : []
        let width = c.expertUnits.last ?? input
        towers = (0..<tasks).map { _ in MLP(input: width, .init(hiddenUnits: c.towerUnits, dropout: c.dropout), generator: &generator) }
        heads = towers.map { Linear(input: $0.outputSize > 0 ? $0.outputSize : width, output: 1, generator: &generator) }
    }

    public var taskCount: Int { towers.count }

    /// The sequences, in the order of their slots.
    var sequences: [HistoryPooling] { [history, categorySequence].compactMap { $0 } }

    /// The columns the id embeddings and the pooled sequences add to the dense features.
    var embeddedWidth: Int { idColumns * (ids?.dimension ?? 0) + sequences.reduce(0) { $0 + $1.outputWidth } }

    /// Id slots per row: the row's own, then the sequences'.
    var slotsPerRow: Int { idColumns + sequences.reduce(0) { $0 + $1.layout.slotsPerRow } }

    /// One sequence's part of a batch's slots: per row, its own slots as laid out (`raw`), the
    /// target slots its steps are matched with, its steps' id slots and their age buckets.
    struct SequenceSlots {
        var raw: [Int32] = [], targets: [Int32] = [], steps: [Int32] = [], ages: [Int32] = []
    }

    /// A batch's slots split: each row's own, then each sequence's.
    private func split(_ slots: [Int32], rows: Int) -> (own: [Int32], sequences: [SequenceSlots]) {
        let layouts = sequences.map(\.layout)
        guard !layouts.isEmpty else { return (slots, []) }
        let (perRow, idColumns) = (slotsPerRow, idColumns)
        // `width` values per row, written by `write` from each row's slots.
        func copy(perRow width: Int, _ write: (UnsafeMutablePointer<Int32>, UnsafePointer<Int32>) -> Void) -> [Int32] {
            let count = rows * width
            return [Int32](unsafeUninitializedCapacity: count) { out, written in
                slots.withUnsafeBufferPointer { s in
                    for r in 0..<rows { write(out.baseAddress! + r * width, s.baseAddress! + r * perRow) }
                }
                written = count
            }
        }
        let own = copy(perRow: idColumns) { out, row in out.update(from: row, count: idColumns) }
        var at = idColumns
        let parts = layouts.map { l in
            defer { at += l.slotsPerRow }
            var part = SequenceSlots()
            part.targets = copy(perRow: l.fields) { out, row in
                for (f, t) in l.targets.enumerated() { out[f] = row[t] }
            }
            part.raw = copy(perRow: l.slotsPerRow) { out, row in out.update(from: row + at, count: l.slotsPerRow) }
            part.steps = copy(perRow: l.steps * l.fields) { out, row in
                for step in 0..<l.steps { (out + step * l.fields).update(from: row + at + step * l.slotsPerStep, count: l.fields) }
            }
            if l.ages > 0 {
                part.ages = copy(perRow: l.steps) { out, row in
                    for step in 0..<l.steps { out[step] = row[at + step * l.slotsPerStep + l.fields] }
                }
            }
            return part
        }
        return (own, parts)
    }

    /// What the experts and gates read: the dense features `x` (`[batch, dense]`), then the
    /// embeddings of the rows `slots` (`slotsPerRow` per row) side by side, then the pooled
    /// sequences.
    public func input(_ x: Node, slots: [Int32]) -> Node {
        guard let ids else { return x }
        let graph = x.graph, batch = x.value.shape[0], d = ids.dimension
        let (own, parts) = split(slots, rows: batch)
        var inputs = [x, ids(own, shape: [batch, idColumns], in: graph).reshaped([batch, idColumns * d])]
        for (pool, part) in zip(sequences, parts) {
            let layout = pool.layout
            let steps = ids(part.steps, shape: [batch, layout.steps * layout.fields], in: graph).reshaped([batch, layout.steps, pool.width])
            let target = ids(part.targets, shape: [batch, layout.fields], in: graph).reshaped([batch, pool.width])
            inputs.append(pool(history: steps, target: target, lengths: pool.lengths(part.raw, rows: batch), ages: part.ages))
        }
        return graph.concat(inputs, axis: 1)
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
        let (own, parts) = split(slots, rows: rows)
        ids.gather(own, into: full, column: dense)
        var column = dense + idColumns * ids.dimension
        for (pool, part) in zip(sequences, parts) {
            // One request's candidates share their user's behaviour sequence (and those of one
            // category their category sequence): such steps are gathered once, and the
            // attention reads them once.
            let layout = pool.layout, perRow = layout.slotsPerRow
            let shared = part.raw.withUnsafeBufferPointer { s in
                (1..<rows).allSatisfy { memcmp(s.baseAddress!, s.baseAddress! + $0 * perRow, perRow * MemoryLayout<Int32>.size) == 0 }
            }
            let stepCount = (shared ? 1 : rows) * layout.steps
            let steps = workspace.matrix(rows: stepCount, columns: pool.width)
            ids.gather(shared ? Array(part.steps.prefix(layout.steps * layout.fields)) : part.steps, into: steps)
            let target = workspace.matrix(rows: rows, columns: pool.width)
            ids.gather(part.targets, into: target)
            let lengths = shared ? Array(repeating: pool.lengths(part.raw, rows: 1)[0], count: rows) : pool.lengths(part.raw, rows: rows)
            pool.forward(history: steps, shared: shared, target: target, lengths: lengths, ages: Array(part.ages.prefix(layout.ages > 0 ? stepCount : 0)),
                         into: full.base + column, stride: full.columns, in: workspace)
            column += pool.outputWidth
        }
        return full
    }

    /// The personal gates' scales for the experts' input `x`, one `[batch, units]` per hidden layer.
    func personalScales(_ x: Node) -> [Node] {
        guard let personal, let width = x.shape.last else { return [] }
        var runs: [Range<Int>] = []
        for column in personal.columns {
            if let last = runs.last, last.upperBound == column { runs[runs.count - 1] = last.lowerBound..<(column + 1) } else { runs.append(column..<(column + 1)) }
        }
        if let id = personal.idColumn, let d = ids?.dimension { runs.append((dense + id * d)..<(dense + (id + 1) * d)) }
        precondition(runs.allSatisfy { $0.upperBound <= width }, "MultiTaskNetwork: the experts' input is narrower than the personal gates read")
        let input = x.graph.concat(runs.map { x.graph.slice(x, axis: 1, start: $0.lowerBound, length: $0.count) }, axis: 1)
        return personalGates.map { $0(input) }
    }

    /// The same without a graph from `rows` rows of the experts' input at `x`, `stride` apart,
    /// whose dense columns `scaling` standardises when given (serving reads raw features).
    /// When every row's gate input is the same (one request's candidates), the gates run once.
    func personalScales(rows: Int, _ x: UnsafePointer<Float>, stride: Int, scaling: FeatureScaling?, in workspace: Workspace) -> [Matrix] {
        guard let personal, rows > 0 else { return [] }
        let d = personal.idColumn == nil ? 0 : ids?.dimension ?? 0
        let width = personal.columns.count + d
        let input = workspace.matrix(rows: rows, columns: width)
        for r in 0..<rows {
            let row = x + r * stride, out = input.base + r * width
            for (k, column) in personal.columns.enumerated() {
                out[k] = scaling.map { (row[column] - $0.mean[column]) / $0.deviation[column] } ?? row[column]
            }
            if let id = personal.idColumn { (out + personal.columns.count).update(from: row + dense + id * d, count: d) }
        }
        let shared = (1..<rows).allSatisfy { memcmp(input.base, input.base + $0 * width, width * MemoryLayout<Float>.size) == 0 }
        guard shared else { return personalGates.map { $0.forward(input, in: workspace) } }
        return personalGates.map { gate in
            let one = gate.forward(workspace.matrix(rows: 1, copying: Array(UnsafeBufferPointer(start: input.base, count: width))), in: workspace)
            let all = workspace.matrix(rows: rows, columns: one.columns)
            for r in 0..<rows { (all.base + r * one.columns).update(from: one.base, count: one.columns) }
            return all
        }
    }

    /// One logit column per task, [batch, tasks].
    public func logits(_ x: Node, gateDropout: Float) -> Node {
        let graph = x.graph
        let batch = x.value.shape[0]
        let scales = personalScales(x)
        let outputs = experts.map { $0(x, scales: scales) }
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
        let scales = personalScales(rows: x.rows, x.base, stride: x.columns, scaling: nil, in: workspace)
        let outputs = experts.map { $0.forward(x, scales: scales, in: workspace) }
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
        if let categorySequence { FunnelTensor.visit("categorySequence", categorySequence, visit) }
        FunnelTensor.visit("personalGates", personalGates, visit)
        FunnelTensor.visit("experts", experts, visit)
        FunnelTensor.visit("gates", gates, visit)
        FunnelTensor.visit("towers", towers, visit)
        FunnelTensor.visit("heads", heads, visit)
    }
}
