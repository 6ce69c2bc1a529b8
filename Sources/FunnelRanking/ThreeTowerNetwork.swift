import Foundation
import FunnelTensor

/// The layers of the three-tower pre-ranker: a user tower over what a request's candidates
/// share (the user and the context), an item tower over what depends on the item alone, and a
/// thin cross tower over the rest (channel ranks, the user's statistics on the item's
/// category, the item's age). Their outputs u, v, c go side by side with u ⊙ v (the two-tower
/// score's terms) through a small top network to one logit per task. A tower with no column
/// is left out, and u ⊙ v with it.
///
/// Serving reads each row's columns in that order, user then item then cross, standardised.
/// The user tower runs once when every row has the same user columns (one request's do), and
/// the item tower's outputs may come from a `TowerOutputCache`.
public final class ThreeTowerNetwork: Module, @unchecked Sendable {
    /// How many input columns each tower reads.
    public struct Widths: Sendable, Equatable {
        public var user: Int
        public var item: Int
        public var cross: Int

        public init(user: Int, item: Int, cross: Int) { (self.user, self.item, self.cross) = (user, item, cross) }

        public var total: Int { user + item + cross }
    }

    public let widths: Widths
    let user: MLP?
    let item: MLP?
    let cross: MLP?
    let top: MLP
    let heads: Linear

    public init(widths: Widths, tasks: Int, _ c: ThreeTowerRanker.Configuration, generator: inout SeededGenerator) {
        precondition(widths.total > 0 && tasks > 0, "a three-tower network needs input columns and tasks")
        precondition(widths.user == 0 || widths.item == 0 || c.userUnits.last == c.itemUnits.last,
                     "the user and item towers' outputs are multiplied: their widths must agree")
        self.widths = widths
        func tower(_ input: Int, _ units: [Int]) -> MLP? {
            input > 0 ? MLP(input: input, .init(hiddenUnits: units), generator: &generator) : nil
        }
        user = tower(widths.user, c.userUnits)
        item = tower(widths.item, c.itemUnits)
        cross = tower(widths.cross, c.crossUnits)
        let fused = (user?.outputSize ?? 0) + (item?.outputSize ?? 0) + (user != nil && item != nil ? c.userUnits.last! : 0)
            + (cross?.outputSize ?? 0)
        top = MLP(input: fused, .init(hiddenUnits: c.topUnits), generator: &generator)
        heads = Linear(input: top.outputSize > 0 ? top.outputSize : fused, output: tasks, generator: &generator)
    }

    public var taskCount: Int { heads.outputSize }

    /// The towers' outputs side by side: u, v, u ⊙ v, c, of those there are.
    var fusedWidth: Int { top.layers.first?.inputSize ?? heads.inputSize }

    /// One logit column per task, `[batch, tasks]`, of the standardised rows `x`.
    public func logits(_ x: Node) -> Node {
        var parts: [Node] = []
        let u = user.map { $0(x.slice(axis: 1, start: 0, length: widths.user)) }
        let v = item.map { $0(x.slice(axis: 1, start: widths.user, length: widths.item)) }
        if let u { parts.append(u) }
        if let v { parts.append(v) }
        if let u, let v { parts.append(u * v) }
        if let cross { parts.append(cross(x.slice(axis: 1, start: widths.user + widths.item, length: widths.cross))) }
        let fused = parts.count == 1 ? parts[0] : x.graph.concat(parts, axis: 1)
        return heads(top(fused))
    }

    /// The same logits without a graph. `itemCache`: where the item tower's outputs are kept
    /// between calls, keyed by its input.
    public func logits(_ x: Matrix, itemCache: TowerOutputCache? = nil, in workspace: Workspace) -> Matrix {
        let rows = x.rows, fused = workspace.matrix(rows: rows, columns: fusedWidth)
        var column = 0
        if let user {
            let width = widths.user
            let shared = (1..<rows).allSatisfy { memcmp(x.base + $0 * x.columns, x.base, width * MemoryLayout<Float>.size) == 0 }
            let u = user.forward(columns(x, 0, width, rows: shared ? 1 : rows, in: workspace), in: workspace)
            for r in 0..<rows {
                (fused.base + r * fused.columns).update(from: u.base + (shared ? 0 : r) * u.columns, count: u.columns)
            }
            column += u.columns
        }
        if let item {
            let width = widths.item, out = fused.base + column
            if let itemCache {
                itemCache.fill(out, stride: fused.columns, inputs: x.base + widths.user, stride: x.columns, rows: rows, in: workspace) {
                    item.forward($0, in: workspace)
                }
            } else {
                let v = item.forward(columns(x, widths.user, width, rows: rows, in: workspace), in: workspace)
                for r in 0..<rows { (out + r * fused.columns).update(from: v.base + r * v.columns, count: v.columns) }
            }
            column += item.outputSize
        }
        if user != nil, item != nil {
            let d = item!.outputSize
            for r in 0..<rows {
                let row = fused.base + r * fused.columns
                for j in 0..<d { row[column + j] = row[j] * row[column - d + j] }
            }
            column += d
        }
        if let cross {
            let c = cross.forward(columns(x, widths.user + widths.item, widths.cross, rows: rows, in: workspace), in: workspace)
            for r in 0..<rows { (fused.base + r * fused.columns + column).update(from: c.base + r * c.columns, count: c.columns) }
        }
        return heads.forward(top.forward(fused, in: workspace), in: workspace)
    }

    /// Columns `start..<start + width` of the first `rows` rows of `x`, in a matrix of their own.
    private func columns(_ x: Matrix, _ start: Int, _ width: Int, rows: Int, in workspace: Workspace) -> Matrix {
        let part = workspace.matrix(rows: rows, columns: width)
        for r in 0..<rows { (part.base + r * width).update(from: x.base + r * x.columns + start, count: width) }
        return part
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        if let user { FunnelTensor.visit("user", user, visit) }
        if let item { FunnelTensor.visit("item", item, visit) }
        if let cross { FunnelTensor.visit("cross", cross, visit) }
        FunnelTensor.visit("top", top, visit)
        FunnelTensor.visit("heads", heads, visit)
    }
}
