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

    /// Pooled rows of variable-length id lists (see `Graph.embeddingBag`).
    public func bag(_ ids: [Int32], offsets: [Int32], pooling: Graph.BagPooling, in graph: Graph) -> Node {
        graph.embeddingBag(graph.parameter(table), ids: ids, offsets: offsets, pooling: pooling)
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("table", table)
    }
}
