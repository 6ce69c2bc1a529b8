import FunnelTensor
import Testing

/// Checks every parameter's gradient (a table's row gradients summed into place) after
/// `backward` against central differences of `total`, on every `stride`-th element; `skip`
/// names parameters left out.
func expectParameterGradientsMatch(_ module: some Module, stride: Int = 2, tolerance: Double = 2e-2, skip: (String) -> Bool = { _ in false },
                                   sourceLocation: SourceLocation = #_sourceLocation, backward: () -> Void, total: () -> Double) {
    backward()
    let epsilon: Float = 1e-2
    for (name, parameter) in module.namedParameters where !skip(name) {
        var analytic = parameter.gradient?.scalars ?? [Float](repeating: 0, count: parameter.value.count)
        if let rows = parameter.rowGradient {
            let width = parameter.value.matrixShape.columns
            for (k, row) in rows.rows.enumerated() { for j in 0..<width { analytic[Int(row) * width + j] += rows.values[k * width + j] } }
        }
        for i in Swift.stride(from: 0, to: parameter.value.count, by: stride) {
            let saved = parameter.value.scalars[i]
            parameter.value.scalars[i] = saved + epsilon
            let up = total()
            parameter.value.scalars[i] = saved - epsilon
            let down = total()
            parameter.value.scalars[i] = saved
            let numeric = (up - down) / Double(2 * epsilon)
            #expect(abs(Double(analytic[i]) - numeric) < tolerance * max(1, abs(numeric)), "\(name)[\(i)]: \(analytic[i]) vs \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}
