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
    /// Normalises `x` in place with the running statistics, as in inference.
    public func forward(_ x: Matrix) {
        let cols = x.columns
        ensure(cols == gamma.value.count, "BatchNorm.forward: \(cols) columns for \(gamma.value.count) features")
        let g = gamma.value.scalars, b = beta.value.scalars
        let mean = runningMean.value.scalars, variance = runningVariance.value.scalars
        var scale = [Float](repeating: 0, count: cols), shift = [Float](repeating: 0, count: cols)
        for j in 0..<cols {
            scale[j] = g[j] / (variance[j] + epsilon).squareRoot()
            shift[j] = b[j] - mean[j] * scale[j]
        }
        scale.withUnsafeBufferPointer { a in
            shift.withUnsafeBufferPointer { c in
                for r in 0..<x.rows {
                    let row = x.base + r * cols
                    for j in 0..<cols { row[j] = row[j] * a[j] + c[j] }
                }
            }
        }
    }
}
