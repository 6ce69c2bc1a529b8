/// Dropout and masking.
extension Graph {
    /// Inverted dropout: in training, zeroes each element with probability `rate` and scales
    /// the rest by 1 / (1 − rate); in inference, the identity.
    public func dropout(_ x: Node, rate: Float) -> Node {
        ensure(rate >= 0 && rate < 1, "dropout: rate \(rate) outside [0, 1)")
        guard isTraining, rate > 0 else { return x }
        let scale = 1 / (1 - rate)
        let draw = DropoutMask(keep: 1 - rate)
        let mask = Tensor(shape: x.shape) { m, n in
            draw.fill(m, count: n, generator: &generator)
            for i in 0..<n { m[i] *= scale }
        }
        return result(Tensor.zip(x.value, mask) { $0 * $1 }, .scaleBy(x.id, mask), inputs: x.id)
    }

    /// Keeps `x` where `mask` is non-zero and puts `fill` elsewhere (e.g. −1e9 before a softmax).
    /// `mask` has the shape of `x`.
    public func masked(_ x: Node, mask: Tensor, fill: Float) -> Node {
        ensure(mask.shape == x.shape, "masked: mask shape \(mask.shape) does not match \(x.shape)")
        let out = Tensor.zip(x.value, mask) { $1 != 0 ? $0 : fill }
        return result(out, .scaleBy(x.id, mask.map { $0 != 0 ? 1 : 0 }), inputs: x.id)
    }

    func scaleByBackward(_ x: Int, _ factors: Tensor, _ g: Tensor) {
        accumulate(x, Tensor.zip(g, factors) { $0 * $1 })
    }
}

extension Node {
    public func dropout(rate: Float) -> Node { graph.dropout(self, rate: rate) }
}
