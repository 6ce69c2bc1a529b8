import FunnelTensor

/// PPNet (Kuaishou's parameter-personalised network): field embeddings read by a deep network
/// whose every hidden layer is scaled unit by unit by an `LHUCGate`. The gates read the
/// personal fields' embeddings (the user, by default) beside all the embeddings with their
/// gradient stopped, so the gates personalise the network without pulling the shared
/// embeddings towards themselves.
public struct PPNet: CTRModel {
    public struct Configuration: Codable, Hashable, Sendable {
        public var fieldCount: Int
        public var vocabularySize: Int
        public var embeddingDimension = 10
        /// The fields whose embeddings drive the gates (Frappe's field 0 is the user).
        public var personalFields = [0]
        public var gateHiddenUnits = 64
        public var deep = MLP.Configuration(hiddenUnits: [400, 400, 400], activation: .relu, dropout: 0.2, batchNorm: true)
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
    public let deep: MLP
    public let gates: [LHUCGate]
    public let head: Linear

    public init(_ configuration: Configuration) {
        let c = configuration
        precondition(!c.personalFields.isEmpty && c.personalFields.allSatisfy { (0..<c.fieldCount).contains($0) },
                     "PPNet: personal fields \(c.personalFields) must be among the \(c.fieldCount) fields")
        self.configuration = c
        var generator = SeededGenerator(seed: c.seed)
        embedding = Embedding(rows: c.vocabularySize, dimension: c.embeddingDimension, standardDeviation: 1e-2, generator: &generator)
        embedding.table.l2Penalty = c.embeddingL2
        let width = c.fieldCount * c.embeddingDimension
        deep = MLP(input: width, c.deep, generator: &generator)
        let gateInput = (c.personalFields.count + c.fieldCount) * c.embeddingDimension
        gates = c.deep.hiddenUnits.map { LHUCGate(input: gateInput, hidden: c.gateHiddenUnits, units: $0, generator: &generator) }
        head = Linear(input: deep.outputSize, output: 1, generator: &generator)
    }

    public func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node {
        let c = configuration
        let width = c.fieldCount * c.embeddingDimension
        let v = embedding(ids, shape: [batch, c.fieldCount], in: graph).reshaped([batch, width])
        let personal = embedding(personalIDs(ids, batch: batch), shape: [batch, c.personalFields.count], in: graph)
            .reshaped([batch, c.personalFields.count * c.embeddingDimension])
        let gateInput = graph.concat([personal, graph.constant(v.value)], axis: 1)
        return head(deep(v, scales: gates.map { $0(gateInput) })).reshaped([batch])
    }

    public func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix {
        let c = configuration
        let (k, personalCount) = (c.embeddingDimension, c.personalFields.count)
        let x = workspace.matrix(rows: batch, columns: c.fieldCount * k)
        embedding.gather(ids, into: x)
        let gateInput = workspace.matrix(rows: batch, columns: (personalCount + c.fieldCount) * k)
        embedding.gather(personalIDs(ids, batch: batch), into: gateInput)
        embedding.gather(ids, into: gateInput, column: personalCount * k)
        return head.forward(deep.forward(x, scales: gates.map { $0.forward(gateInput, in: workspace) }, in: workspace), in: workspace)
    }

    /// The personal fields' ids, row by row.
    private func personalIDs(_ ids: [Int32], batch: Int) -> [Int32] {
        let c = configuration
        return (0..<batch).flatMap { r in c.personalFields.map { ids[r * c.fieldCount + $0] } }
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("embedding", embedding, visit)
        FunnelTensor.visit("deep", deep, visit)
        FunnelTensor.visit("gates", gates, visit)
        FunnelTensor.visit("head", head, visit)
    }
}
