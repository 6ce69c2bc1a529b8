import FunnelTensor

/// DCN-v2 (Wang et al., "DCN V2: Improved Deep & Cross Network", WWW 2021): field embeddings
/// concatenated into x_0, a cross network and a deep network side by side (or stacked), and a
/// linear head.
public struct DCNv2: CTRModel {
    public struct Configuration: Codable, Hashable, Sendable {
        public enum Structure: String, Codable, Sendable { case parallel, stacked }

        public var fieldCount: Int
        public var vocabularySize: Int
        public var embeddingDimension = 10
        public var crossLayers = 4
        /// The rank of each cross layer's matrix (nil = full rank, fields × embedding dimension).
        public var crossRank: Int?
        public var structure = Structure.parallel
        /// Defaults follow BARS's tuned DCN-v2 on Frappe_x1 (dropout 0.4, embedding L2 0.05).
        public var deep = MLP.Configuration(hiddenUnits: [400, 400, 400], activation: .relu, dropout: 0.4, batchNorm: true)
        /// L2 penalty on the embedding rows a batch touches.
        public var embeddingL2: Float = 0.05
        public var seed: UInt64 = 2021

        public init(fieldCount: Int, vocabularySize: Int) {
            self.fieldCount = fieldCount
            self.vocabularySize = vocabularySize
        }
    }

    public let configuration: Configuration
    public let embedding: Embedding
    public let cross: CrossNetwork
    public let deep: MLP
    public let head: Linear

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var generator = SeededGenerator(seed: configuration.seed)
        let width = configuration.fieldCount * configuration.embeddingDimension
        embedding = Embedding(rows: configuration.vocabularySize, dimension: configuration.embeddingDimension, generator: &generator)
        embedding.table.l2Penalty = configuration.embeddingL2
        cross = CrossNetwork(dimension: width, depth: configuration.crossLayers, rank: configuration.crossRank, generator: &generator)
        deep = MLP(input: width, configuration.deep, generator: &generator)
        let headInput = configuration.structure == .parallel ? width + deep.outputSize : deep.outputSize
        head = Linear(input: headInput, output: 1, generator: &generator)
    }

    public func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node {
        let c = configuration
        let x0 = embedding(ids, shape: [batch, c.fieldCount], in: graph).reshaped([batch, c.fieldCount * c.embeddingDimension])
        switch c.structure {
        case .parallel: return head([cross(x0), deep(x0)]).reshaped([batch])
        case .stacked: return head(deep(cross(x0))).reshaped([batch])
        }
    }

    public func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix {
        let c = configuration
        let x0 = workspace.matrix(rows: batch, columns: c.fieldCount * c.embeddingDimension)
        embedding.gather(ids, into: x0)
        switch c.structure {
        case .parallel: return head.forward([cross.forward(x0, in: workspace), deep.forward(x0, in: workspace)], in: workspace)
        case .stacked: return head.forward(deep.forward(cross.forward(x0, in: workspace), in: workspace), in: workspace)
        }
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("embedding", embedding, visit)
        FunnelTensor.visit("cross", cross, visit)
        FunnelTensor.visit("deep", deep, visit)
        FunnelTensor.visit("head", head, visit)
    }
}
