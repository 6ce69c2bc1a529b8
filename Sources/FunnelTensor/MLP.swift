/// A stack of Linear → (BatchNorm) → activation → (Dropout) blocks.
public struct MLP: Module {
    public struct Configuration: Codable, Hashable, Sendable {
        public var hiddenUnits: [Int] = [400, 400, 400]
        public var activation: Activation = .relu
        public var dropout: Float = 0
        public var batchNorm = false

        public init(hiddenUnits: [Int] = [400, 400, 400], activation: Activation = .relu, dropout: Float = 0, batchNorm: Bool = false) {
            self.hiddenUnits = hiddenUnits
            self.activation = activation
            self.dropout = dropout
            self.batchNorm = batchNorm
        }
    }

    public let layers: [Linear]
    public let norms: [BatchNorm]
    public let configuration: Configuration

    public init(input: Int, _ configuration: Configuration, generator: inout SeededGenerator) {
        var sizes = [input]
        sizes.append(contentsOf: configuration.hiddenUnits)
        layers = zip(sizes, sizes.dropFirst()).map { Linear(input: $0, output: $1, generator: &generator) }
        norms = configuration.batchNorm ? configuration.hiddenUnits.map { BatchNorm(features: $0) } : []
        self.configuration = configuration
    }

    public var outputSize: Int { layers.last?.outputSize ?? 0 }

    public func callAsFunction(_ x: Node) -> Node {
        callAsFunction(x, scales: [])
    }

    /// The blocks with each block's output multiplied, unit by unit and example by example, by
    /// `scales[i]` (`[batch, hiddenUnits[i]]`) when given: learning hidden-unit contributions
    /// (LHUC), as PPNet's gates do.
    public func callAsFunction(_ x: Node, scales: [Node]) -> Node {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            let norm = configuration.batchNorm ? norms[i].state(in: h.graph) : nil
            h = h.graph.fusedBlock(h, batchNorm: norm, activation: configuration.activation, dropout: configuration.dropout)
            if i < scales.count { h = h * scales[i] }
        }
        return h
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("layers", layers, visit)
        FunnelTensor.visit("norms", norms, visit)
    }
}

extension MLP {
    /// The blocks without a graph, for serving: each linear map, then batch norm with its
    /// running statistics and the activation in one pass in place; dropout is off.
    public func forward(_ x: Matrix, scales: [Matrix] = [], in workspace: Workspace) -> Matrix {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer.forward(h, norm: configuration.batchNorm ? norms[i] : nil, activation: configuration.activation, in: workspace)
            if i < scales.count { h.multiply(by: scales[i]) }
        }
        return h
    }
}
