import FunnelTensor
import Testing

/// Checks the analytic gradient of `f` against central finite differences.
///
/// The inputs become parameters (embedding tables when `sparse` says so); the output is
/// projected onto fixed random weights so every output element contributes. Each input's
/// gradient, dense or row, is compared on up to `probes` elements.
func expectGradientsMatch(_ inputs: [Tensor], sparse: Set<Int> = [], epsilon: Float = 1e-2, tolerance: Float = 2e-2,
                          probes: Int = 24, sourceLocation: SourceLocation = #_sourceLocation,
                          _ f: ([Node]) -> Node) {
    let parameters = inputs.enumerated().map { Parameter($1, isEmbeddingTable: sparse.contains($0)) }
    func evaluate() -> (Graph, Node) {
        let g = Graph(mode: .training, seed: 42)
        let output = f(parameters.map { g.parameter($0) })
        return (g, output)
    }
    let (g, output) = evaluate()
    var generator = SeededGenerator(seed: 99)
    let projection = Tensor.randomNormal(shape: output.shape, generator: &generator)
    g.backward(output, seed: projection)
    func objective() -> Double {
        let (_, y) = evaluate()
        return zip(y.value.scalars, projection.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    for (index, p) in parameters.enumerated() {
        var analytic = p.gradient ?? Tensor(zeros: p.shape)
        if let rows = p.rowGradient {
            let width = p.value.matrixShape.columns
            for (k, row) in rows.rows.enumerated() {
                for j in 0..<width { analytic.scalars[Int(row) * width + j] += rows.values[k * width + j] }
            }
        }
        let count = p.value.count
        let picks = count <= probes ? Array(0..<count) : (0..<probes).map { _ in generator.nextInt(below: count) }
        for i in picks {
            let original = p.value.scalars[i]
            p.value.scalars[i] = original + epsilon
            let up = objective()
            p.value.scalars[i] = original - epsilon
            let down = objective()
            p.value.scalars[i] = original
            let numeric = Float((up - down) / Double(2 * epsilon))
            let error = abs(numeric - analytic.scalars[i]) / max(1, abs(numeric), abs(analytic.scalars[i]))
            #expect(error <= tolerance, "input \(index) element \(i): analytic \(analytic.scalars[i]) vs numeric \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// Random test data.
struct Random {
    var generator: SeededGenerator
    init(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func tensor(_ shape: [Int]) -> Tensor { .randomNormal(shape: shape, generator: &generator) }
    /// Values bounded away from zero, for log, sqrt and division.
    mutating func positive(_ shape: [Int]) -> Tensor { tensor(shape).map { abs($0) + 0.5 } }
    mutating func dim(_ range: ClosedRange<Int> = 1...5) -> Int { range.lowerBound + generator.nextInt(below: range.count) }
    mutating func ids(_ count: Int, below rows: Int) -> [Int32] { (0..<count).map { _ in Int32(generator.nextInt(below: rows)) } }
}
