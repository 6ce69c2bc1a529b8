import Foundation
import FunnelTensor

/// A gate that scales hidden units per example (LHUC; PPNet's Gate NU, Kuaishou): two layers
/// over the gate's input, ReLU between them, then 2·sigmoid, so each unit's scale lies in
/// (0, 2) and starts near 1.
public struct LHUCGate: Module {
    public let hidden: Linear
    public let output: Linear

    public init(input: Int, hidden: Int, units: Int, generator: inout SeededGenerator) {
        self.hidden = Linear(input: input, output: hidden, generator: &generator)
        output = Linear(input: hidden, output: units, generator: &generator)
    }

    /// `[batch, input]` to `[batch, units]` scales.
    public func callAsFunction(_ x: Node) -> Node {
        output(hidden(x).relu()).sigmoid() * 2
    }

    /// The same without a graph.
    public func forward(_ x: Matrix, in workspace: Workspace) -> Matrix {
        let h = hidden.forward(x, in: workspace)
        Activation.relu.apply(h)
        let y = output.forward(h, in: workspace)
        for i in 0..<y.count { y.base[i] = 2 / (1 + Foundation.exp(-y.base[i])) }
        return y
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        FunnelTensor.visit("hidden", hidden, visit)
        FunnelTensor.visit("output", output, visit)
    }
}
