import FunnelTensor

/// FiBiNET (Huang et al., RecSys 2019): field embeddings, re-weighted by `SENet`; a bilinear
/// interaction over the embeddings and another over the re-weighted ones; both sets of pair
/// vectors read by a deep network, whose logit adds to a first-order (logistic) part. Its deep
/// network's batch norm needs the running statistics re-estimated after each epoch
/// (`TrainingConfiguration.batchNormStatisticsBatches`): the pair vectors are products of
/// small, fast-moving embeddings, and averages gathered during the epoch miss them badly.
public struct FiBiNet: CTRModel {
    public struct Configuration: Codable, Hashable, Sendable {
        public var fieldCount: Int
        public var vocabularySize: Int
        public var embeddingDimension = 10
        public var reduction = 3
        public var bilinear = BilinearInteraction.Kind.fieldInteraction
        public var deep = MLP.Configuration(hiddenUnits: [400, 400, 400], activation: .relu, dropout: 0.2, batchNorm: true)
        /// L2 penalty on the embedding and first-order rows a batch touches.
        public var embeddingL2: Float = 0.05
        public var seed: UInt64 = 2021

        public init(fieldCount: Int, vocabularySize: Int) {
            self.fieldCount = fieldCount
            self.vocabularySize = vocabularySize
        }
    }

    public let configuration: Configuration
    public let embedding: Embedding
    /// The first-order part: a weight per feature and a bias.
    public let linear: LogisticRegression
    public let senet: SENet
    public let bilinear: BilinearInteraction
    public let reweightedBilinear: BilinearInteraction
    public let deep: MLP
    public let head: Linear

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        let c = configuration
        var generator = SeededGenerator(seed: c.seed)
        embedding = Embedding(rows: c.vocabularySize, dimension: c.embeddingDimension, standardDeviation: 1e-2, generator: &generator)
        embedding.table.l2Penalty = c.embeddingL2
        var first = LogisticRegression.Configuration(fieldCount: c.fieldCount, vocabularySize: c.vocabularySize)
        (first.l2, first.seed) = (c.embeddingL2, c.seed)
        linear = LogisticRegression(first)
        senet = SENet(fields: c.fieldCount, reduction: c.reduction, generator: &generator)
        bilinear = BilinearInteraction(kind: c.bilinear, fields: c.fieldCount, dimension: c.embeddingDimension, generator: &generator)
        reweightedBilinear = BilinearInteraction(kind: c.bilinear, fields: c.fieldCount, dimension: c.embeddingDimension, generator: &generator)
        let pairs = c.fieldCount * (c.fieldCount - 1) / 2
        deep = MLP(input: 2 * pairs * c.embeddingDimension, c.deep, generator: &generator)
        head = Linear(input: deep.outputSize, output: 1, generator: &generator)
    }

    public func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node {
        let c = configuration
        let v = embedding(ids, shape: [batch, c.fieldCount], in: graph)
        let width = c.fieldCount * (c.fieldCount - 1) / 2 * c.embeddingDimension
        let pairs = graph.concat([bilinear(v).reshaped([batch, width]), reweightedBilinear(senet(v)).reshaped([batch, width])], axis: 1)
        return head(deep(pairs)).reshaped([batch]) + linear.logits(ids: ids, batch: batch, in: graph)
    }

    public func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix {
        let c = configuration
        let v = workspace.matrix(rows: batch, columns: c.fieldCount * c.embeddingDimension)
        embedding.gather(ids, into: v)
        let pairs = [bilinear.forward(v, in: workspace),
                     reweightedBilinear.forward(senet.forward(v, in: workspace), in: workspace)]
        let out = linear.logits(ids: ids, batch: batch, in: workspace)
        let z = head.forward(deep.forward(concatenated(pairs, in: workspace), in: workspace), in: workspace)
        for r in 0..<batch { out.base[r] += z.base[r] }
        return out
    }

    /// `parts` side by side, row by row, in one matrix.
    private func concatenated(_ parts: [Matrix], in workspace: Workspace) -> Matrix {
        let out = workspace.matrix(rows: parts[0].rows, columns: parts.reduce(0) { $0 + $1.columns })
        for r in 0..<out.rows {
            var column = 0
            for part in parts {
                (out.base + r * out.columns + column).update(from: part.base + r * part.columns, count: part.columns)
                column += part.columns
            }
        }
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("embedding", embedding, visit)
        FunnelTensor.visit("linear", linear, visit)
        FunnelTensor.visit("senet", senet, visit)
        FunnelTensor.visit("bilinear", bilinear, visit)
        FunnelTensor.visit("reweightedBilinear", reweightedBilinear, visit)
        FunnelTensor.visit("deep", deep, visit)
        FunnelTensor.visit("head", head, visit)
    }
}
