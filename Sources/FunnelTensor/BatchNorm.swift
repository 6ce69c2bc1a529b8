/// Batch normalisation over the batch axis of `[batch, features]`, with running statistics
/// for inference that are saved with the model.
public struct BatchNorm: Module {
    public let gamma: Parameter
    public let beta: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public var momentum: Float
    public var epsilon: Float

    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        gamma = Parameter(Tensor(repeating: 1, shape: [features]))
        beta = Parameter(Tensor(zeros: [features]))
        runningMean = Parameter(Tensor(zeros: [features]), isTrainable: false)
        runningVariance = Parameter(Tensor(repeating: 1, shape: [features]), isTrainable: false)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Node) -> Node {
        let g = x.graph
        return g.batchNorm(x, gamma: g.parameter(gamma), beta: g.parameter(beta),
                           runningMean: &runningMean.value, runningVariance: &runningVariance.value,
                           momentum: momentum, epsilon: epsilon)
    }

    /// This layer's inputs to `Graph.fusedBlock`, which fuses it with an activation and dropout.
    public func state(in graph: Graph) -> Graph.BatchNormState {
        Graph.BatchNormState(gamma: graph.parameter(gamma), beta: graph.parameter(beta), runningMean: runningMean,
                             runningVariance: runningVariance, momentum: momentum, epsilon: epsilon)
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("gamma", gamma)
        visit("beta", beta)
        visit("running_mean", runningMean)
        visit("running_var", runningVariance)
    }
}

extension BatchNorm {
    /// The running statistics as the per-column map `x · scale + shift` they make in inference.
    public var servingAffine: (scale: [Float], shift: [Float]) {
        let g = gamma.value.scalars, b = beta.value.scalars
        let mean = runningMean.value.scalars, variance = runningVariance.value.scalars
        let scale = (0..<g.count).map { g[$0] / (variance[$0] + epsilon).squareRoot() }
        return (scale, (0..<g.count).map { b[$0] - mean[$0] * scale[$0] })
    }
}
