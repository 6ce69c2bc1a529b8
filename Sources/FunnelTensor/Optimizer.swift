import Foundation
import CThreadState

/// Updates parameters from their gradients, then clears the gradients.
///
/// Dense gradients update whole tensors; row gradients of embedding tables update only the
/// rows a batch touched, with that rows' optimizer state ("lazy" updates), so a step costs
/// what the batch touched, not what the table holds.
public protocol Optimizer {
    var learningRate: Float { get set }
    /// Applies one step to `parameters` and clears their gradients.
    mutating func step(_ parameters: [Parameter])
}

extension Optimizer {
    /// Runs `body` for every parameter, spread over the compute threads: a parameter whose
    /// update is large enough to split runs alone (its update splits itself, in `apply`); the
    /// others are dealt to one group per thread, largest first to the lightest group, and the
    /// groups run side by side. A two-tower model's many small tables and layers otherwise
    /// updated one after another on one thread while the other waited.
    func forEachParameter(_ parameters: [Parameter], _ body: (Parameter) -> Void) {
        let threads = Compute.threads
        guard threads > 1, funnel_parallel_depth() == 0 else { return parameters.forEach(body) }
        var small: [(work: Int, index: Int)] = []
        for (i, p) in parameters.enumerated() {
            let work = (p.gradient == nil ? 0 : p.value.count) + (p.rowGradient?.values.count ?? 0)
            if work >= 2 * Self.splitWork { body(p) } else if work > 0 { small.append((work, i)) } else { body(p) }
        }
        var groups = [[Int]](repeating: [], count: threads), load = [Int](repeating: 0, count: threads)
        for (work, i) in small.sorted(by: { $0.work > $1.work }) {
            let g = load.indices.min { load[$0] < load[$1] }!
            groups[g].append(i)
            load[g] += work
        }
        Compute.parallel(threads, chunks: threads) { _, range in
            for g in range { for i in groups[g] { body(parameters[i]) } }
        }
    }

    /// Elements of a dense update below which it stays on one thread.
    static var splitWork: Int { 65_536 }

    /// Applies `update(value, gradient, slot0, slot1, count)` to every element of a dense gradient
    /// and to each touched row of a row gradient. Up to two optimizer-state tensors shaped like
    /// the value are kept per parameter.
    @inline(__always)
    func apply(_ p: Parameter, slotCount: Int,
               _ update: (_ value: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
                          _ slot0: UnsafeMutablePointer<Float>, _ slot1: UnsafeMutablePointer<Float>, _ count: Int) -> Void) {
        ensure(slotCount <= 2, "at most two optimizer slots")
        if p.slots.count != slotCount {
            p.slots = (0..<slotCount).map { _ in Tensor(zeros: p.value.shape) }
        }
        let width = p.value.matrixShape.columns
        var slots = p.slots
        p.slots = []  // keep the slot storage uniquely referenced while writing it
        var s0 = slots.isEmpty ? Tensor(zeros: [1]) : slots.removeFirst()
        var s1 = slots.isEmpty ? Tensor(zeros: [1]) : slots.removeFirst()
        defer { p.slots = Array([s0, s1].prefix(slotCount)) }
        let rows = p.coalesceRowGradient()
        let dense = p.gradient
        p.value.scalars.withUnsafeMutableBufferPointer { v in
            s0.scalars.withUnsafeMutableBufferPointer { m0 in
                s1.scalars.withUnsafeMutableBufferPointer { m1 in
                    let stride0 = slotCount > 0 ? 1 : 0, stride1 = slotCount > 1 ? 1 : 0
                    if let dense {
                        dense.scalars.withUnsafeBufferPointer { g in
                            Compute.parallel(v.count, minimumChunk: Self.splitWork) { _, r in
                                let o = r.lowerBound
                                update(v.baseAddress! + o, g.baseAddress! + o, m0.baseAddress! + o * stride0, m1.baseAddress! + o * stride1, r.count)
                            }
                        }
                    }
                    if let rows {
                        rows.values.withUnsafeBufferPointer { g in
                            rows.rows.withUnsafeBufferPointer { ids in
                                Compute.parallel(ids.count, minimumChunk: 1024) { _, range in
                                    for k in range {
                                        let offset = Int(ids[k]) * width
                                        update(v.baseAddress! + offset, g.baseAddress! + k * width,
                                               m0.baseAddress! + offset * stride0, m1.baseAddress! + offset * stride1, width)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.zeroGradient()
    }
}

/// Stochastic gradient descent with optional momentum and L2 weight decay.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [Parameter]) {
        let lr = learningRate, mu = momentum
        forEachParameter(parameters) { p in
            let wd = weightDecay + p.l2Penalty
            apply(p, slotCount: mu == 0 ? 0 : 1) { v, g, velocity, _, n in
                if mu == 0 {
                    for i in 0..<n { v[i] -= lr * (g[i] + wd * v[i]) }
                } else {
                    for i in 0..<n {
                        velocity[i] = mu * velocity[i] + g[i] + wd * v[i]
                        v[i] -= lr * velocity[i]
                    }
                }
            }
        }
    }
}

/// Adam, or AdamW when `decoupledWeightDecay` is set (Loshchilov & Hutter).
/// Row gradients update only the touched rows' moments, with the global step for bias correction.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var decoupledWeightDecay: Bool
    public private(set) var stepCount = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW: Adam with weight decay applied to the weights directly.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public mutating func step(_ parameters: [Parameter]) {
        stepCount += 1
        let t = Float(stepCount)
        let b1 = beta1, b2 = beta2, eps = epsilon
        let correction1 = 1 - Foundation.pow(b1, t), correction2 = 1 - Foundation.pow(b2, t)
        let stepSize = learningRate * correction2.squareRoot() / correction1
        let decay = decoupledWeightDecay ? learningRate * weightDecay : 0
        let l2Decay = decoupledWeightDecay ? 0 : weightDecay
        forEachParameter(parameters) { p in
            let l2 = p.l2Penalty + l2Decay
            let denominatorShift = eps * correction2.squareRoot()
            apply(p, slotCount: 2) { v, g, m, s, n in
                // Eight lanes at a time: the four pointers may alias as far as the compiler knows,
                // so it would not vectorise the plain loop.
                @inline(__always) func update<V: SIMD>(_ v: inout V, _ g: V, _ m: inout V, _ s: inout V) where V.Scalar == Float {
                    let gi = g + l2 * v
                    v -= decay * v
                    m = b1 * m + (1 - b1) * gi
                    s = b2 * s + (1 - b2) * gi * gi
                    v -= stepSize * m / (s.squareRoot() + denominatorShift)
                }
                var i = 0
                while i + 8 <= n {
                    var (vi, mi, si) = (Kernels.load(v + i), Kernels.load(m + i), Kernels.load(s + i))
                    update(&vi, Kernels.load(g + i), &mi, &si)
                    Kernels.store(vi, v + i); Kernels.store(mi, m + i); Kernels.store(si, s + i)
                    i += 8
                }
                while i < n {
                    var (vi, mi, si) = (SIMD2(v[i], 0), SIMD2(m[i], 0), SIMD2(s[i], 0))
                    update(&vi, SIMD2(g[i], 0), &mi, &si)
                    (v[i], m[i], s[i]) = (vi[0], mi[0], si[0])
                    i += 1
                }
            }
        }
    }
}

/// Adagrad: per-element learning rates from the sum of squared gradients.
public struct Adagrad: Optimizer {
    public var learningRate: Float
    public var initialAccumulator: Float
    public var epsilon: Float

    public init(learningRate: Float = 0.01, initialAccumulator: Float = 0, epsilon: Float = 1e-10) {
        self.learningRate = learningRate
        self.initialAccumulator = initialAccumulator
        self.epsilon = epsilon
    }

    public mutating func step(_ parameters: [Parameter]) {
        let lr = learningRate, eps = epsilon
        let initialAccumulator = initialAccumulator
        forEachParameter(parameters) { p in
            let l2 = p.l2Penalty
            if p.slots.isEmpty, initialAccumulator != 0 {
                p.slots = [Tensor(repeating: initialAccumulator, shape: p.value.shape)]
            }
            apply(p, slotCount: 1) { v, g, sum, _, n in
                for i in 0..<n {
                    let gi = g[i] + l2 * v[i]
                    sum[i] += gi * gi
                    v[i] -= lr * gi / (sum[i].squareRoot() + eps)
                }
            }
        }
    }
}
