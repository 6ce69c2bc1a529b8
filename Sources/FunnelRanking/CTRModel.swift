import FunnelTensor

/// A click-through-rate model over one-hot categorical fields: logits for a batch of examples.
public protocol CTRModel: Module {
    /// The logits (shape `[batch]`) of `batch` examples whose field ids are given row-major.
    func logits(ids: [Int32], batch: Int, in graph: Graph) -> Node

    /// The same logits without a graph (`[batch, 1]`), for serving.
    func logits(ids: [Int32], batch: Int, in workspace: Workspace) -> Matrix
}
