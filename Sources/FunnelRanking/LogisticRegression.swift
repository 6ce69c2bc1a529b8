import FunnelTensor

/// Logistic regression over one-hot fields: a learned weight per feature id plus a bias.
/// The baseline every CTR model must beat.
public struct LogisticRegression: CTRModel {
    public struct Configuration: Codable, Hashable, Sendable {
        public var fieldCount: Int
        public var vocabularySize: Int
        public var l2: Float = 0
        public var seed: UInt64 = 2021

        public init(fieldCount: Int, vocabularySize: Int) {
            self.fieldCount = fieldCount
            self.vocabularySize = vocabularySize
        }
    }

    public let configuration: Configuration
    public let weights: Embedding
    public let bias: Parameter

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var generator = SeededGenerator(seed: configuration.seed)
        weights = Embedding(rows: configuration.vocabularySize, dimension: 1, generator: &generator)
        weights.table.l2Penalty = configuration.l2
        bias = Parameter(Tensor(zeros: [1]))
    }

    public func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node {
        let offsets = (0...batch).map { Int32($0 * configuration.fieldCount) }
        let summed = weights.bag(ids, offsets: offsets, pooling: .sum, in: graph)
        return (summed + graph.parameter(bias)).reshaped([batch])
    }

    public func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix {
        let out = workspace.matrix(rows: batch, columns: 1)
        let offsets = (0...batch).map { Int32($0 * configuration.fieldCount) }
        weights.pool(ids, offsets: offsets, pooling: .sum, into: out)
        let b = bias.value.scalars[0]
        for r in 0..<batch { out.base[r] += b }
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("weights", weights, visit)
        visit("bias", bias)
    }
}
