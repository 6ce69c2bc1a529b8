import FunnelTensor

/// A user's behaviour sequence pooled for each candidate, as the multi-task ranker reads it.
/// Each step is a vector (the item's and its category's embeddings side by side, plus a learnt
/// vector per recency), and the steps are pooled by attention to the candidate (DIN,
/// `TargetAttention`) or by their mean (LastN). The experts read [pooled, pooled ⊙ candidate].
/// The category sequence (SIM) is pooled the same way, its steps the item's embedding plus a
/// learnt vector per age bucket, which each step carries in a slot of its own.
public struct HistoryPooling: Module {
    /// Where the sequence sits among a row's id slots, and how it is pooled.
    public struct Layout: Sendable, Equatable {
        /// Steps per row; each has `fields` slots (item, category), after the row's own id slots.
        public var steps: Int
        public var fields: Int
        /// The positions, among the row's own id slots, of the candidate's slots that match a
        /// step's fields (its item, its category).
        public var targets: [Int]
        /// The slot of a missing item: a step holding it is past the sequence's end.
        public var padding: Int32
        /// Age buckets (1...ages, 0 on padding) when each step carries its own in a slot after
        /// its fields; 0 when the steps' recency is their position.
        public var ages: Int

        public init(steps: Int, fields: Int, targets: [Int], padding: Int32, ages: Int = 0) {
            (self.steps, self.fields, self.targets, self.padding, self.ages) = (steps, fields, targets, padding, ages)
        }

        /// Slots per step: its fields, then its age bucket if it carries one.
        public var slotsPerStep: Int { fields + (ages > 0 ? 1 : 0) }
        public var slotsPerRow: Int { steps * slotsPerStep }
    }

    public let layout: Layout
    public let pooling: DIN.Pooling
    /// The width of one step: `fields` embeddings.
    public let width: Int
    /// One row per recency: per position (`steps`), or per age bucket (`ages + 1`).
    public let recency: Embedding?
    public let attention: TargetAttention?

    public init(_ layout: Layout, dimension: Int, pooling: DIN.Pooling, attention: TargetAttention.Configuration, recency: Bool,
                generator: inout SeededGenerator) {
        precondition(pooling != .none && layout.steps > 0 && layout.fields == layout.targets.count, "HistoryPooling: needs a pooling and steps")
        (self.layout, self.pooling, width) = (layout, pooling, dimension * layout.fields)
        self.recency = recency || layout.ages > 0
            ? Embedding(rows: layout.ages > 0 ? layout.ages + 1 : layout.steps, dimension: width, standardDeviation: 0.05, generator: &generator) : nil
        self.attention = pooling == .attention ? TargetAttention(dimension: width, attention, generator: &generator) : nil
    }

    /// The columns the pooled sequence adds to the experts' input.
    public var outputWidth: Int { 2 * width }

    /// Per row, how many of its steps hold an item (`slots`: the sequence's slots,
    /// `layout.slotsPerStep` per step, row after row).
    public func lengths(_ slots: [Int32], rows: Int) -> [Int] {
        let (perRow, perStep) = (layout.slotsPerRow, layout.slotsPerStep)
        return (0..<rows).map { r in
            var length = 0
            while length < layout.steps && slots[r * perRow + length * perStep] != layout.padding { length += 1 }
            return length
        }
    }

    /// [pooled, pooled ⊙ target], `[batch, 2 · width]`, from `history` (`[batch, steps, width]`)
    /// and `target` (`[batch, width]`); `ages`: each step's age bucket, `[batch · steps]`, when
    /// the layout has them.
    public func callAsFunction(history: Node, target: Node, lengths: [Int], ages: [Int32] = []) -> Node {
        let graph = history.graph, batch = target.shape[0]
        precondition(layout.ages == 0 || ages.count == batch * layout.steps, "HistoryPooling: an age bucket per step expected")
        var steps = history
        if let recency {
            let rows = layout.ages > 0 ? ages : Array(repeating: Array(0..<Int32(layout.steps)), count: batch).flatMap { $0 }
            steps = steps + recency(rows, shape: [batch, layout.steps], in: graph)
        }
        let pooled = attention.map { $0(history: steps, target: target, lengths: lengths) } ?? graph.pool(steps, lengths: lengths, pooling: .mean)
        return graph.concat([pooled, pooled * target], axis: 1)
    }

    /// The same without a graph: `history` `[batch · steps, width]`, or with `shared` the
    /// `[steps, width]` every row reads (changed in place), `target` `[batch, width]`, `ages`
    /// the age bucket of each of `history`'s rows when the layout has them; writes each row's
    /// `2 · width` values at `out`, `stride` apart.
    public func forward(history: Matrix, shared: Bool = false, target: Matrix, lengths: [Int], ages: [Int32] = [],
                        into out: UnsafeMutablePointer<Float>, stride: Int, in workspace: Workspace) {
        let (batch, steps, w) = (target.rows, layout.steps, width)
        precondition(layout.ages == 0 || ages.count == history.rows, "HistoryPooling: an age bucket per step expected")
        if let recency {
            recency.table.value.scalars.withUnsafeBufferPointer { table in
                for r in 0..<history.rows {
                    let row = history.base + r * w, add = table.baseAddress! + Int(layout.ages > 0 ? ages[r] : Int32(r % steps)) * w
                    for j in 0..<w { row[j] += add[j] }
                }
            }
        }
        let weights = attention?.weights(history: history, shared: shared, target: target, lengths: lengths, in: workspace)
        for b in 0..<batch {
            let pooled = out + b * stride, t = target.base + b * w
            pooled.update(repeating: 0, count: w)
            let length = lengths[b]
            for s in 0..<length {
                let a = weights.map { $0.base[b * steps + s] } ?? 1 / Float(length)
                let h = history.base + ((shared ? 0 : b * steps) + s) * w
                for j in 0..<w { pooled[j] += a * h[j] }
            }
            for j in 0..<w { pooled[w + j] = pooled[j] * t[j] }
        }
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        if let recency { FunnelTensor.visit("recency", recency, visit) }
        if let attention { FunnelTensor.visit("attention", attention, visit) }
    }
}
