/// A computation recorded for reverse-mode differentiation (a tape).
///
/// Ops append their value and, in training mode, a record of how to pass gradients back.
/// In inference mode the same layer code runs without records, and dropout and batch norm
/// switch to their inference behaviour.
public final class Graph {
    public enum Mode: Equatable, Sendable {
        case training, inference
        /// Forward only, to re-estimate batch norm's running statistics once the weights are
        /// fixed: batch norm normalises with the batch's own statistics and folds them into the
        /// running ones as an equal-weight average (`batch` counts from 0, which replaces
        /// them); dropout is off, as it is when the statistics are used.
        case statistics(batch: Int)
    }

    public let mode: Mode
    /// Random stream for dropout and other stochastic ops.
    public var generator: SeededGenerator

    @usableFromInline var values: [Tensor] = []
    var records: [Record] = []
    /// Whether a node depends on a parameter, so its gradient is worth computing.
    var needsGradient: [Bool] = []
    var boundParameters: [Int: Parameter] = [:]
    var gradients: [Tensor?] = []

    public init(mode: Mode = .training, seed: UInt64 = 0) {
        self.mode = mode
        self.generator = SeededGenerator(seed: seed)
        Compute.configured
    }

    public var isTraining: Bool { mode == .training }

    /// How far batch norm moves its running statistics towards this batch's, or nil when it
    /// should normalise with the running statistics instead (inference).
    func runningStatisticsMomentum(_ momentum: Float) -> Float? {
        switch mode {
        case .training: momentum
        case .inference: nil
        case .statistics(let batch): 1 / Float(batch + 1)
        }
    }

    /// A node that holds a fixed tensor; no gradient flows into it.
    public func constant(_ t: Tensor) -> Node {
        append(t, .leaf, needsGradient: false)
    }

    /// A node bound to a parameter: `backward` adds the parameter's gradient into it.
    public func parameter(_ p: Parameter) -> Node {
        let node = append(p.value, .leaf, needsGradient: isTraining)
        if isTraining { boundParameters[node.id] = p }
        return node
    }

    @discardableResult
    func append(_ value: Tensor, _ record: @autoclosure () -> Record, needsGradient: Bool) -> Node {
        let id = values.count
        values.append(value)
        let track = isTraining && needsGradient
        records.append(track ? record() : .leaf)
        self.needsGradient.append(track)
        return Node(id: id, graph: self)
    }

    /// Appends an op result whose gradient depends on `inputs`.
    func result(_ value: Tensor, _ record: @autoclosure () -> Record, inputs: Int...) -> Node {
        append(value, record(), needsGradient: inputs.contains { needsGradient[$0] })
    }

    func result(_ value: Tensor, _ record: @autoclosure () -> Record, inputList: [Int]) -> Node {
        append(value, record(), needsGradient: inputList.contains { needsGradient[$0] })
    }

    /// The parameter a leaf node is bound to, if any.
    func boundParameter(_ id: Int) -> Parameter? {
        boundParameters[id]
    }

    /// Back-propagates from a scalar `loss` (seed gradient 1) and adds the gradients into the
    /// bound parameters. A graph runs its backward pass once; afterwards its parameter nodes no
    /// longer hold the parameters' values, so an optimizer can update them in place instead of
    /// copying every tensor (and every embedding table) the graph shared.
    public func backward(_ loss: Node) {
        ensure(loss.value.count == 1, "backward needs a scalar loss, got shape \(loss.shape)")
        backward(loss, seed: Tensor(repeating: 1, shape: loss.shape))
    }

    /// Back-propagates `seed` as the gradient of `output`.
    public func backward(_ output: Node, seed: Tensor) {
        ensure(isTraining, "backward needs a graph in training mode")
        ensure(seed.shape == output.shape, "seed shape \(seed.shape) does not match output shape \(output.shape)")
        gradients = [Tensor?](repeating: nil, count: values.count)
        gradients[output.id] = seed
        for id in stride(from: output.id, through: 0, by: -1) {
            guard needsGradient[id], let g = gradients[id] else { continue }
            gradients[id] = nil
            if case .leaf = records[id] {
                boundParameters[id]?.accumulate(g)
            } else {
                propagate(records[id], gradient: g, output: id)
            }
        }
        gradients = []
        for id in boundParameters.keys { values[id] = Tensor(zeros: [0]) }
    }

    /// Adds `g` to the gradient of node `id`, if that node needs one.
    func accumulate(_ id: Int, _ g: Tensor) {
        guard needsGradient[id] else { return }
        ensure(g.shape == values[id].shape, "internal: gradient shape \(g.shape) for node of shape \(values[id].shape)")
        if gradients[id] == nil {
            gradients[id] = g
        } else {
            gradients[id]!.scalars.withUnsafeMutableBufferPointer { dst in
                g.scalars.withUnsafeBufferPointer { src in
                    Kernels.addScaled(src.baseAddress!, scale: 1, into: dst.baseAddress!, count: dst.count)
                }
            }
        }
    }

    /// Adds a gradient for node `id` that `write` computes straight into its storage: the
    /// gradient gathered so far with β = 1, or fresh uninitialised storage with β = 0, as a BLAS
    /// call's β wants. Saves zeroing a buffer and the pass that would add it in.
    func accumulate(_ id: Int, writing write: (UnsafeMutablePointer<Float>, _ beta: Float) -> Void) {
        guard needsGradient[id] else { return }
        if var gathered = gradients[id] {
            gradients[id] = nil  // leaves `gathered` the only reference, so writing does not copy
            gathered.scalars.withUnsafeMutableBufferPointer { write($0.baseAddress!, 1) }
            gradients[id] = gathered
        } else {
            gradients[id] = Tensor(shape: values[id].shape) { p, _ in write(p, 0) }
        }
    }

    func wants(_ id: Int) -> Bool { needsGradient[id] }
}
