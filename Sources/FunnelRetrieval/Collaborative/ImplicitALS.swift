import Foundation
import FunnelData
import FunnelIndex
import FunnelTensor

/// Matrix factorisation of implicit feedback by alternating least squares (Hu, Koren & Volinsky,
/// 2008): user and item vectors x_u, y_i minimising Σ_{u,i} c_ui (p_ui − x_u·y_i)² +
/// λ (Σ‖x_u‖² + Σ‖y_i‖²) over every pair, where p_ui is 1 for a pair with weight r > 0 (0
/// otherwise) and its confidence c_ui = 1 + α·r. Each half-step fixes one side and solves every
/// row of the other, A x = b with A = YᵀY + λI + Σ_{i∈u} (c_ui − 1) y_i y_iᵀ and
/// b = Σ_{i∈u} c_ui y_i: YᵀY is one product for all rows (BLAS), and each row's system is
/// solved by a few steps of conjugate gradient warm-started from its last solution (Takács,
/// Pilászy & Tikk, 2011), O(n_u · f) per step, so nothing f×f is formed per row. Rows are solved
/// on every thread.
public struct ImplicitALS: Sendable {
    public struct Parameters: Sendable, Equatable, Codable {
        public var factors = 64
        public var regularization: Float = 0.01
        /// Confidence of an observed pair: 1 + alpha · its weight.
        public var alpha: Float = 1
        public var iterations = 15
        /// Conjugate-gradient steps per row and half-step.
        public var conjugateGradientSteps = 3
        public var seed: UInt64 = 42

        public init() {}
    }

    public let parameters: Parameters
    public let userCount: Int
    public let itemCount: Int
    /// Row-major, `factors` per row.
    public private(set) var userFactors: [Float]
    public private(set) var itemFactors: [Float]

    public var factors: Int { parameters.factors }

    /// Fits on `matrix` (weights are the r of each pair). `progress(iteration, loss)` after each
    /// iteration when given (the loss costs a pass over every pair: tests and small data only).
    public init(_ matrix: InteractionMatrix, parameters: Parameters = Parameters(), progress: ((Int, Double) -> Void)? = nil) {
        precondition(parameters.factors >= 1 && parameters.iterations >= 0 && parameters.conjugateGradientSteps >= 1)
        self.parameters = parameters
        (userCount, itemCount) = (matrix.userCount, matrix.itemCount)
        let f = parameters.factors
        var random = SplitMix64(seed: parameters.seed)
        // Small random starts, as any factorisation by alternation needs a non-zero side.
        func start(_ rows: Int) -> [Float] { (0..<(rows * f)).map { _ in Float(random.nextUnitDouble() - 0.5) * 0.02 } }
        userFactors = start(matrix.userCount)
        itemFactors = start(matrix.itemCount)
        for iteration in 0..<parameters.iterations {
            Self.solve(&userFactors, offsets: matrix.userOffsets, indices: matrix.userItems, weights: matrix.userWeights,
                       fixed: itemFactors, fixedCount: matrix.itemCount, parameters)
            Self.solve(&itemFactors, offsets: matrix.itemOffsets, indices: matrix.itemUsers, weights: matrix.itemWeights,
                       fixed: userFactors, fixedCount: matrix.userCount, parameters)
            progress?(iteration, loss(matrix))
        }
    }

    /// One half-step: each row of `x` (its pairs in `indices`/`weights` from `offsets`) solved
    /// against the `fixed` side.
    static func solve(_ x: inout [Float], offsets: [Int], indices: [Int32], weights: [Float], fixed: [Float], fixedCount: Int,
                      _ p: Parameters) {
        let f = p.factors, rows = offsets.count - 1
        let gram = gram(fixed, rows: fixedCount, factors: f, regularization: p.regularization)
        x.withUnsafeMutableBufferPointer { x in
            let x = x.baseAddress!
            fixed.withUnsafeBufferPointer { y in
                gram.withUnsafeBufferPointer { g in
                    let (y, g) = (y.baseAddress!, g.baseAddress!)
                    Compute.parallel(rows, minimumChunk: 64) { _, range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * f)
                        defer { scratch.deallocate() }
                        let (r, direction, product) = (scratch, scratch + f, scratch + 2 * f)
                        for row in range {
                            conjugateGradient(x + row * f, pairs: offsets[row]..<offsets[row + 1], indices: indices, weights: weights,
                                              y: y, gram: g, f: f, alpha: p.alpha, steps: p.conjugateGradientSteps,
                                              r: r, direction: direction, product: product)
                        }
                    }
                }
            }
        }
    }

    /// G = YᵀY + λI for `rows` vectors of `factors` (one product), every row's system's shared part.
    static func gram(_ y: [Float], rows: Int, factors f: Int, regularization: Float) -> [Float] {
        var gram = [Float](repeating: 0, count: f * f)
        y.withUnsafeBufferPointer { y in
            gram.withUnsafeMutableBufferPointer { g in
                BLAS.gemm(transposeA: true, transposeB: false, m: f, n: f, k: rows, a: y.baseAddress!, b: y.baseAddress!, c: g.baseAddress!)
            }
        }
        for d in 0..<f { gram[d * f + d] += regularization }
        return gram
    }

    /// A few conjugate-gradient steps on one row's system, from its current value.
    @inline(__always)
    static func conjugateGradient(_ x: UnsafeMutablePointer<Float>, pairs: Range<Int>, indices: [Int32], weights: [Float],
                                  y: UnsafePointer<Float>, gram: UnsafePointer<Float>, f: Int, alpha: Float, steps: Int,
                                  r: UnsafeMutablePointer<Float>, direction: UnsafeMutablePointer<Float>, product: UnsafeMutablePointer<Float>) {
        // A·v = G·v + Σ (c − 1)(y·v) y.
        func apply(_ v: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            for a in 0..<f { out[a] = VectorKernels.dot(gram + a * f, v, f) }
            for k in pairs {
                let yi = y + Int(indices[k]) * f, extra = alpha * weights[k]
                axpy(extra * VectorKernels.dot(yi, v, f), yi, out, f)
            }
        }
        // r = b − A·x, with b = Σ c y.
        apply(x, into: product)
        for a in 0..<f { r[a] = -product[a] }
        for k in pairs { axpy(1 + alpha * weights[k], y + Int(indices[k]) * f, r, f) }
        direction.update(from: r, count: f)
        var residual = VectorKernels.dot(r, r, f)
        for _ in 0..<steps {
            guard residual > 1e-20 else { break }
            apply(direction, into: product)
            let step = residual / VectorKernels.dot(direction, product, f)
            axpy(step, direction, x, f)
            axpy(-step, product, r, f)
            let next = VectorKernels.dot(r, r, f)
            for a in 0..<f { direction[a] = r[a] + next / residual * direction[a] }
            residual = next
        }
    }

    /// out += scale · v.
    @inline(__always)
    static func axpy(_ scale: Float, _ v: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for k in 0..<n { out[k] += scale * v[k] }
    }

    /// The objective over every pair (O(users × items × factors)): for tests and small data.
    public func loss(_ matrix: InteractionMatrix) -> Double {
        let f = factors
        var total = 0.0
        for u in 0..<userCount {
            var confidence = [Float](repeating: 0, count: itemCount)
            let (items, weights) = matrix.items(of: u)
            for (i, w) in zip(items, weights) { confidence[Int(i)] = w }
            for i in 0..<itemCount {
                var prediction: Float = 0
                for d in 0..<f { prediction += userFactors[u * f + d] * itemFactors[i * f + d] }
                let observed = confidence[i] > 0
                let c = observed ? 1 + parameters.alpha * confidence[i] : 1
                let error = (observed ? 1 : 0) - prediction
                total += Double(c * error * error)
            }
        }
        let norms = (userFactors + itemFactors).reduce(0) { $0 + Double($1 * $1) }
        return total + Double(parameters.regularization) * norms
    }

    /// `user`'s score for every item: x_u · y_i.
    public func scores(user: Int) -> [Float] {
        let f = factors
        var scores = [Float](repeating: 0, count: itemCount)
        userFactors.withUnsafeBufferPointer { x in
            itemFactors.withUnsafeBufferPointer { y in
                scores.withUnsafeMutableBufferPointer { s in
                    BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: itemCount, k: f, a: x.baseAddress! + user * f,
                              b: y.baseAddress!, c: s.baseAddress!)
                }
            }
        }
        return scores
    }
}
