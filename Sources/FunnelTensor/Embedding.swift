/// A lookup table of `rows × dimension` vectors trained with row (sparse) gradients.
public struct Embedding: Module {
    public let table: Parameter

    /// A table initialised from N(0, `standardDeviation`²).
    public init(rows: Int, dimension: Int, standardDeviation: Float = 1e-4, generator: inout SeededGenerator) {
        table = Parameter(.randomNormal(shape: [rows, dimension], standardDeviation: standardDeviation, generator: &generator),
                          isEmbeddingTable: true)
    }

    public var rows: Int { table.shape[0] }
    public var dimension: Int { table.shape[1] }

    /// The rows at `ids`, shaped `indexShape + [dimension]` (default `[ids.count, dimension]`).
    public func callAsFunction(_ ids: [Int32], shape indexShape: [Int]? = nil, in graph: Graph) -> Node {
        graph.gather(graph.parameter(table), indices: ids, indexShape: indexShape)
    }

    /// Rows at `ids` plus rows of `other` at `otherIDs` (see `Graph.gather(_:indices:adding:at:indexShape:)`).
    public func callAsFunction(_ ids: [Int32], adding other: Embedding, at otherIDs: [Int32], shape indexShape: [Int]? = nil, in graph: Graph) -> Node {
        graph.gather(graph.parameter(table), indices: ids, adding: graph.parameter(other.table), at: otherIDs, indexShape: indexShape)
    }

    /// Pooled rows of variable-length id lists (see `Graph.embeddingBag`).
    public func bag(_ ids: [Int32], offsets: [Int32], pooling: Graph.BagPooling, in graph: Graph) -> Node {
        graph.embeddingBag(graph.parameter(table), ids: ids, offsets: offsets, pooling: pooling)
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("table", table)
    }
}

extension Embedding {
    /// Rows at `ids` laid side by side, `ids.count / rows` per output row: the graph's
    /// gather reshaped to `[rows, fields · dimension]`, written into `output` from `column` on.
    public func gather(_ ids: [Int32], into output: Matrix, column: Int = 0) {
        let d = dimension, tableRows = rows
        ensure(output.rows > 0 && ids.count % output.rows == 0 && column + ids.count / output.rows * d <= output.columns,
               "Embedding.gather: \(ids.count) ids do not fit \(output.rows) rows of \(output.columns) columns from \(column)")
        let perRow = ids.count / output.rows
        table.value.scalars.withUnsafeBufferPointer { p in
            for (k, id) in ids.enumerated() {
                let r = Int(id)
                ensure(r >= 0 && r < tableRows, "Embedding.gather: id \(r) out of range for a table of \(tableRows) rows")
                let destination = output.base + (k / perRow) * output.columns + column + (k % perRow) * d
                destination.update(from: p.baseAddress! + r * d, count: d)
            }
        }
    }

    /// Bag b of `ids[offsets[b]..<offsets[b+1]]` pooled into row b of `output` from `column`
    /// on, as `Graph.embeddingBag` pools it (an empty bag is zeros).
    public func pool(_ ids: [Int32], offsets: [Int32], pooling: Graph.BagPooling, into output: Matrix, column: Int = 0) {
        ensure(offsets.count == output.rows + 1 && offsets.first == 0 && offsets.last == Int32(ids.count) && column + dimension <= output.columns,
               "Embedding.pool: \(offsets.count - 1) bags over \(ids.count) ids do not fit \(output.rows) rows of \(output.columns) columns")
        table.value.scalars.withUnsafeBufferPointer { p in
            Graph.poolBags(table: p, width: dimension, ids: ids, offsets: offsets, pooling: pooling,
                           into: output.base + column, rowStride: output.columns)
        }
    }
}
