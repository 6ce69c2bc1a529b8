/// A tensor of Int32 indices (row ids, class targets, token ids) with a shape, row-major.
public struct IndexTensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var scalars: [Int32]

    public init(shape: [Int], scalars: [Int32]) {
        ensure(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        ensure(scalars.count == Tensor.count(of: shape), "\(scalars.count) indices cannot fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A vector of indices.
    public init(_ scalars: [Int32]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    public func reshaped(_ newShape: [Int]) -> IndexTensor {
        IndexTensor(shape: newShape, scalars: scalars)
    }
}

extension Graph {
    /// Rows of the matrix `table` at `indices`; the result has shape `indices.shape + [width]`.
    public func gather(_ table: Node, indices: IndexTensor) -> Node {
        gather(table, indices: indices.scalars, indexShape: indices.shape)
    }

    /// Softmax cross-entropy against class indices of shape `[batch]` (see the array form).
    public func softmaxCrossEntropy(logits: Node, targets: IndexTensor, correction: Tensor? = nil) -> Node {
        ensure(targets.rank == 1, "softmaxCrossEntropy: targets of shape \(targets.shape) are not a vector")
        return softmaxCrossEntropy(logits: logits, targets: targets.scalars, correction: correction)
    }
}

extension Embedding {
    /// The rows at `ids`, shaped `ids.shape + [dimension]`.
    public func callAsFunction(_ ids: IndexTensor, in graph: Graph) -> Node {
        graph.gather(graph.parameter(table), indices: ids)
    }
}
