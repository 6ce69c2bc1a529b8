import Foundation
import FunnelTensor
import Testing

/// Linear layers on bfloat16 tiles: within the rounding bound of the float32 product, for
/// sizes on and off the tiles' multiples of 16 and 32, with and without a bias, through a
/// stride, and following the weights when they change.
@Suite(.enabled(if: Precision.bfloat16IsAvailable, "this CPU has no AMX-BF16 tiles (or the kernel does not allow them)"))
struct BFloat16ProductTests {
    /// |bfloat16 − float32| for each output, and its bound: rounding x and w to 8 significant
    /// bits moves each product by at most 2⁻⁸ of |x·w|.
    static func compare(_ layer: Linear, _ x: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let rows = x.shape[0]
        let workspace = Workspace()
        let exact = layer.forward(workspace.matrix(rows: rows, copying: x.scalars), in: workspace).scalars
        workspace.precision = .bfloat16
        let rounded = layer.forward(workspace.matrix(rows: rows, copying: x.scalars), in: workspace).scalars
        expectWithinRounding(rounded, exact, layer, x, sourceLocation: sourceLocation)
    }

    /// Each output of `rounded` within `factor(column)` times the rounding bound of `exact`'s, and
    /// some output rounded at all.
    static func expectWithinRounding(_ rounded: [Float], _ exact: [Float], _ layer: Linear, _ x: Tensor,
                                     factor: (Int) -> Float = { _ in 1 }, sourceLocation: SourceLocation = #_sourceLocation) {
        let (rows, input, output) = (x.shape[0], x.shape[1], layer.outputSize)
        let w = layer.weight.value.scalars
        var largest: Float = 0
        for r in 0..<rows {
            for j in 0..<output {
                var magnitude: Float = 0
                for i in 0..<input { magnitude += abs(x.scalars[r * input + i] * w[i * output + j]) }
                let difference = abs(rounded[r * output + j] - exact[r * output + j])
                largest = max(largest, difference)
                #expect(difference <= factor(j) * magnitude / 256 + 1e-5, "row \(r), column \(j): \(rounded[r * output + j]) against \(exact[r * output + j])",
                        sourceLocation: sourceLocation)
            }
        }
        #expect(largest > 0, "the product did not run in bfloat16", sourceLocation: sourceLocation)
    }

    @Test(arguments: [(16, 16, 16), (17, 33, 31), (40, 100, 400), (100, 400, 64), (300, 64, 48)])
    func productsMatchFloat32WithinRounding(rows: Int, input: Int, output: Int) {
        var r = Random(UInt64(rows * 7 + input))
        for bias in [true, false] {
            let layer = Linear(input: input, output: output, bias: bias, generator: &r.generator)
            Self.compare(layer, r.tensor([rows, input]))
        }
    }

    /// A whole block (product, bias, batch norm, activation) with its epilogue inside the tile
    /// store, on sizes off the tiles' multiples: within the product's rounding bound, scaled by
    /// the norm's factor, of the float32 block.
    @Test(arguments: Activation.allCases)
    func blockEpilogueMatchesFloat32(_ activation: Activation) {
        var r = Random(9)
        let (rows, input, output) = (37, 45, 50)
        let layer = Linear(input: input, output: output, generator: &r.generator)
        let norm = BatchNorm(features: output)
        norm.runningMean.value = r.tensor([output])
        norm.runningVariance.value = r.positive([output])
        norm.gamma.value = r.tensor([output])
        norm.beta.value = r.tensor([output])
        let x = r.tensor([rows, input])
        let workspace = Workspace()
        let exact = layer.forward(workspace.matrix(rows: rows, copying: x.scalars), norm: norm, activation: activation, in: workspace).scalars
        workspace.precision = .bfloat16
        let rounded = layer.forward(workspace.matrix(rows: rows, copying: x.scalars), norm: norm, activation: activation, in: workspace).scalars
        let scale = norm.servingAffine.scale
        // Every activation here changes by at most 1.13 times its input's change.
        Self.expectWithinRounding(rounded, exact, layer, x, factor: { 1.13 * abs(scale[$0]) })
    }

    /// A block of columns read in place inside a wider matrix.
    @Test func stridedInput() {
        var r = Random(5)
        let layer = Linear(input: 40, output: 32, generator: &r.generator)
        let wide = r.tensor([50, 56])
        let workspace = Workspace()
        let block = Tensor(shape: [50, 40], scalars: (0..<50).flatMap { row in wide.scalars[(row * 56 + 8)..<(row * 56 + 48)] })
        let expected = layer.forward(workspace.matrix(rows: 50, copying: block.scalars), in: workspace).scalars
        workspace.precision = .bfloat16
        let strided = wide.scalars.withUnsafeBufferPointer { layer.forward(rows: 50, $0.baseAddress! + 8, stride: 56, in: workspace).scalars }
        let worst = zip(strided, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 0 && worst < 0.05, "largest difference \(worst)")
    }

    /// The packed weights are made again when the parameter's value changes.
    @Test func packedWeightsFollowTheParameter() {
        var r = Random(6)
        let layer = Linear(input: 32, output: 32, generator: &r.generator)
        let x = r.tensor([16, 32])
        Self.compare(layer, x)
        layer.weight.value = r.tensor([32, 32])
        Self.compare(layer, x)
    }

    /// A workspace returns to float32 when reset, so a pooled one never carries a caller's choice.
    @Test func resetReturnsToFloat32() {
        let workspace = Workspace()
        workspace.precision = .bfloat16
        workspace.reset()
        #expect(workspace.precision == .float32)
    }
}
