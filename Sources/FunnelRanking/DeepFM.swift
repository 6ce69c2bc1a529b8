import FunnelTensor

/// DeepFM (Guo et al., IJCAI 2017): one set of field embeddings read by a factorisation machine
/// (a bias, a weight per feature, the pairwise interactions) and by a deep network, their logits
/// summed. With no hidden layers it is the plain factorisation machine (FM).
public struct DeepFM: CTRModel {
    public struct Configuration: Codable, Hashable, Sendable {
        public var fieldCount: Int
        public var vocabularySize: Int
        public var embeddingDimension = 10
        /// Empty for a plain FM. The default is BARS's DeepFM setting on Frappe_x1.
        public var deep = MLP.Configuration(hiddenUnits: [400, 400, 400], activation: .relu, dropout: 0.2, batchNorm: true)
        /// L2 penalty on the embedding and first-order rows a batch touches.
        public var embeddingL2: Float = 0.1
        /// The embeddings' initial spread: the pairwise term's gradients scale with it.
        public var embeddingStandardDeviation: Float = 1e-2
        public var seed: UInt64 = 2021

        public init(fieldCount: Int, vocabularySize: Int) {
            self.fieldCount = fieldCount
            self.vocabularySize = vocabularySize
        }

        /// A plain factorisation machine on the same fields.
        public static func factorizationMachine(fieldCount: Int, vocabularySize: Int) -> Configuration {
            var c = Configuration(fieldCount: fieldCount, vocabularySize: vocabularySize)
            c.deep.hiddenUnits = []
            c.embeddingL2 = 0
            return c
        }
    }

    public let configuration: Configuration
    public let embedding: Embedding
    /// The first-order part: a weight per feature and a bias.
    public let linear: LogisticRegression
    public let deep: MLP?
    public let head: Linear?

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var generator = SeededGenerator(seed: configuration.seed)
        let c = configuration
        embedding = Embedding(rows: c.vocabularySize, dimension: c.embeddingDimension, standardDeviation: c.embeddingStandardDeviation, generator: &generator)
        embedding.table.l2Penalty = c.embeddingL2
        var first = LogisticRegression.Configuration(fieldCount: c.fieldCount, vocabularySize: c.vocabularySize)
        (first.l2, first.seed) = (c.embeddingL2, c.seed)
        linear = LogisticRegression(first)
        if c.deep.hiddenUnits.isEmpty {
            (deep, head) = (nil, nil)
        } else {
            let mlp = MLP(input: c.fieldCount * c.embeddingDimension, c.deep, generator: &generator)
            (deep, head) = (mlp, Linear(input: mlp.outputSize, output: 1, generator: &generator))
        }
    }

    public func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node {
        let c = configuration
        let v = embedding(ids, shape: [batch, c.fieldCount], in: graph)
        var z = linear.logits(ids: ids, batch: batch, in: graph) + FactorizationMachine.interactions(v)
        if let deep, let head {
            z = z + head(deep(v.reshaped([batch, c.fieldCount * c.embeddingDimension]))).reshaped([batch])
        }
        return z
    }

    public func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix {
        let c = configuration
        let v = workspace.matrix(rows: batch, columns: c.fieldCount * c.embeddingDimension)
        embedding.gather(ids, into: v)
        let out = linear.logits(ids: ids, batch: batch, in: workspace)
        if let deep, let head {
            let z = head.forward(deep.forward(v, in: workspace), in: workspace)
            for r in 0..<batch { out.base[r] += z.base[r] }
        }
        FactorizationMachine.addInteractions(v, fields: c.fieldCount, to: out.base)
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("embedding", embedding, visit)
        FunnelTensor.visit("linear", linear, visit)
        if let deep { FunnelTensor.visit("deep", deep, visit) }
        if let head { FunnelTensor.visit("head", head, visit) }
    }
}
