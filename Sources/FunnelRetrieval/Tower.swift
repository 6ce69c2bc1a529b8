import FunnelData
import FunnelTensor

/// One tower of a two-tower model: embeddings of an entity's one-hot fields (concatenated)
/// and of its multi-hot bag (mean-pooled), then an MLP and a linear projection to the output
/// dimension.
public struct Tower: Module {
    public struct Configuration: Codable, Hashable, Sendable {
        public var fieldCount: Int
        public var vocabularySize: Int
        public var bagVocabularySize = 0
        public var embeddingDimension = 32
        public var hidden = MLP.Configuration(hiddenUnits: [256], activation: .relu)
        public var outputDimension = 64

        public init(fieldCount: Int, vocabularySize: Int, bagVocabularySize: Int = 0) {
            self.fieldCount = fieldCount
            self.vocabularySize = vocabularySize
            self.bagVocabularySize = bagVocabularySize
        }

        public init(features: FeatureTable) {
            self.init(fieldCount: features.fieldCount, vocabularySize: features.vocabularySize,
                      bagVocabularySize: features.hasBags ? features.bagVocabularySize : 0)
        }
    }

    public let configuration: Configuration
    public let fields: Embedding
    public let bag: Embedding?
    public let mlp: MLP
    public let projection: Linear

    public init(_ configuration: Configuration, generator: inout SeededGenerator) {
        self.configuration = configuration
        let d = configuration.embeddingDimension
        fields = Embedding(rows: configuration.vocabularySize, dimension: d, standardDeviation: 0.05, generator: &generator)
        bag = configuration.bagVocabularySize > 0
            ? Embedding(rows: configuration.bagVocabularySize, dimension: d, standardDeviation: 0.05, generator: &generator) : nil
        let width = d * (configuration.fieldCount + (bag == nil ? 0 : 1))
        mlp = MLP(input: width, configuration.hidden, generator: &generator)
        projection = Linear(input: configuration.hidden.hiddenUnits.isEmpty ? width : mlp.outputSize,
                            output: configuration.outputDimension, generator: &generator)
    }

    /// Output vectors `[batch.count, outputDimension]`.
    public func callAsFunction(_ batch: FeatureTable.Batch, in graph: Graph) -> Node {
        projection(mlp(input(batch, in: graph)))
    }

    /// Output vectors of an augmented view of `batch`: the one-hot fields where `keep` is false
    /// (row-major `[batch.count, fieldCount]`) read as zero vectors (an emptied bag pools to
    /// zero too), then inverted dropout at `dropout` on the concatenated input.
    public func callAsFunction(_ batch: FeatureTable.Batch, keeping keep: [Bool], dropout: Float, in graph: Graph) -> Node {
        let c = configuration
        precondition(keep.count == batch.count * c.fieldCount, "Tower: \(keep.count) field flags for \(batch.count) rows of \(c.fieldCount) fields")
        let d = c.embeddingDimension, width = bag == nil ? c.fieldCount * d : (c.fieldCount + 1) * d
        let mask = Tensor(shape: [batch.count, width]) { m, _ in
            for row in 0..<batch.count {
                for column in 0..<width {
                    let field = column / d
                    m[row * width + column] = field >= c.fieldCount || keep[row * c.fieldCount + field] ? 1 : 0
                }
            }
        }
        return projection(mlp(graph.dropout(graph.masked(input(batch, in: graph), mask: mask, fill: 0), rate: dropout)))
    }

    /// The concatenated field embeddings and pooled bag, `[batch.count, width]`.
    private func input(_ batch: FeatureTable.Batch, in graph: Graph) -> Node {
        let c = configuration
        var parts = [fields(batch.ids, shape: [batch.count, c.fieldCount], in: graph)
            .reshaped([batch.count, c.fieldCount * c.embeddingDimension])]
        if let bag {
            parts.append(bag.bag(batch.bagIDs, offsets: batch.bagOffsets, pooling: .mean, in: graph))
        }
        return parts.count == 1 ? parts[0] : graph.concat(parts, axis: 1)
    }

    /// Output vectors `[batch.count, outputDimension]` without a graph, for serving.
    public func forward(_ batch: FeatureTable.Batch, in workspace: Workspace) -> Matrix {
        let c = configuration
        let fieldWidth = c.fieldCount * c.embeddingDimension
        let x = workspace.matrix(rows: batch.count, columns: fieldWidth + (bag == nil ? 0 : c.embeddingDimension))
        fields.gather(batch.ids, into: x)
        bag?.pool(batch.bagIDs, offsets: batch.bagOffsets, pooling: .mean, into: x, column: fieldWidth)
        return projection.forward(mlp.forward(x, in: workspace), in: workspace)
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("fields", fields, visit)
        if let bag { FunnelTensor.visit("bag", bag, visit) }
        FunnelTensor.visit("mlp", mlp, visit)
        FunnelTensor.visit("projection", projection, visit)
    }
}
