/// Gradient clipping by global norm.
public enum GradientClipping {
    /// Scales all gradients (dense and row) so their joint L2 norm is at most `maxNorm`;
    /// returns the norm before clipping.
    @discardableResult
    public static func clipByGlobalNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
        var sumSquares: Double = 0
        for p in parameters {
            if let g = p.gradient { for x in g.scalars { sumSquares += Double(x * x) } }
            if let rows = p.coalesceRowGradient() { for x in rows.values { sumSquares += Double(x * x) } }
        }
        let norm = Float(sumSquares.squareRoot())
        guard norm > maxNorm, norm > 0 else { return norm }
        let scale = maxNorm / norm
        for p in parameters {
            if p.gradient != nil { p.gradient = p.gradient!.map { $0 * scale } }
            if p.rowGradient != nil {
                p.rowGradient!.values = p.rowGradient!.values.map { $0 * scale }
            }
        }
        return norm
    }
}
