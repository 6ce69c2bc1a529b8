import FunnelTensor

/// A ranker over a user's behaviour sequence: the candidate's item vector (and, if configured,
/// the user's) and the sequence pooled by `pooling`, into an MLP, plus a bias per item. With attention pooling it is
/// DIN (Zhou et al., KDD 2018, `TargetAttention`); with mean pooling, the LastN baseline; with
/// none, the same ranker without the sequence. History and candidates share one item table.
public struct DIN: Module {
    /// How the behaviour sequence enters.
    public enum Pooling: String, Codable, Hashable, Sendable, CaseIterable {
        /// Left out: the candidate (and the user's vector) only.
        case none
        /// The mean of the last `maxLength` items' vectors (LastN).
        case mean
        /// Candidate-aware attention over them (DIN).
        case attention
    }

    public struct Configuration: Codable, Hashable, Sendable {
        public var itemCount: Int
        public var userCount: Int
        public var dimension = 64
        /// Sequences keep their most recent `maxLength` items.
        public var maxLength = 50
        public var pooling: Pooling = .attention
        public var attention = TargetAttention.Configuration()
        public var deep = MLP.Configuration(hiddenUnits: [200, 80], activation: .relu, dropout: 0, batchNorm: false)
        /// A vector per user beside the sequence. Off by default: on Amazon Games it memorises
        /// the training positions (test HR@10 0.641 with it, 0.678 without).
        public var userEmbedding = false
        /// A learnt vector per recency (latest item, the one before, …) added to each history
        /// item's, so that pooling can tell the last action from older ones.
        public var recencyEmbedding = true
        /// L2 penalty on the item and user rows a batch touches.
        public var embeddingL2: Float = 1e-3
        public var embeddingStandardDeviation: Float = 0.05
        public var seed: UInt64 = 2021

        public init(itemCount: Int, userCount: Int, pooling: Pooling = .attention) {
            (self.itemCount, self.userCount, self.pooling) = (itemCount, userCount, pooling)
        }
    }

    public let configuration: Configuration
    /// `itemCount + 1` rows: the last pads sequences (never read through a weight).
    public let items: Embedding
    public let users: Embedding?
    /// `maxLength` rows, one per recency.
    public let recency: Embedding?
    public let itemBias: Embedding
    public let attention: TargetAttention?
    public let deep: MLP
    public let head: Linear

    public var padding: Int32 { Int32(configuration.itemCount) }

    public init(_ configuration: Configuration) {
        let c = configuration
        precondition(c.itemCount > 0 && c.userCount > 0 && c.dimension > 0 && c.maxLength > 0 && !c.deep.hiddenUnits.isEmpty,
                     "DIN: needs items, users, a positive dimension and maximum length, and hidden layers")
        self.configuration = c
        var generator = SeededGenerator(seed: c.seed)
        items = Embedding(rows: c.itemCount + 1, dimension: c.dimension, standardDeviation: c.embeddingStandardDeviation, generator: &generator)
        items.table.l2Penalty = c.embeddingL2
        if c.userEmbedding {
            let table = Embedding(rows: c.userCount, dimension: c.dimension, standardDeviation: c.embeddingStandardDeviation, generator: &generator)
            table.table.l2Penalty = c.embeddingL2
            users = table
        } else {
            users = nil
        }
        recency = c.recencyEmbedding && c.pooling != .none
            ? Embedding(rows: c.maxLength, dimension: c.dimension, standardDeviation: c.embeddingStandardDeviation, generator: &generator) : nil
        itemBias = Embedding(rows: c.itemCount, dimension: 1, standardDeviation: 0, generator: &generator)
        attention = c.pooling == .attention ? TargetAttention(dimension: c.dimension, c.attention, generator: &generator) : nil
        let parts = 1 + (c.userEmbedding ? 1 : 0) + (c.pooling == .none ? 0 : 2)
        deep = MLP(input: parts * c.dimension, c.deep, generator: &generator)
        head = Linear(input: deep.outputSize, output: 1, generator: &generator)
    }

    /// The logit of each row's target: `[batch.count]`.
    public func logits(_ batch: SequenceBatch, in graph: Graph) -> Node {
        let n = batch.count
        let target = items(batch.targets, in: graph)
        var parts = [target]
        if let users { parts.append(users(batch.users, in: graph)) }
        if configuration.pooling != .none {
            let history = recency.map { items(batch.histories, adding: $0, at: batch.recency, shape: [n, batch.steps], in: graph) }
                ?? items(batch.histories, shape: [n, batch.steps], in: graph)
            let pooled = attention.map { $0(history: history, target: target, lengths: batch.lengths) }
                ?? graph.pool(history, lengths: batch.lengths, pooling: .mean)
            parts += [pooled, pooled * target]
        }
        return head(deep(graph.concat(parts, axis: 1))).reshaped([n]) + itemBias(batch.targets, in: graph).reshaped([n])
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("items", items, visit)
        if let users { FunnelTensor.visit("users", users, visit) }
        if let recency { FunnelTensor.visit("recency", recency, visit) }
        FunnelTensor.visit("item-bias", itemBias, visit)
        if let attention { FunnelTensor.visit("attention", attention, visit) }
        FunnelTensor.visit("deep", deep, visit)
        FunnelTensor.visit("head", head, visit)
    }
}
