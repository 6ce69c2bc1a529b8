import Foundation

/// The learning rate as a function of the step.
public indirect enum LearningRateSchedule: Codable, Hashable, Sendable {
    case constant
    /// Multiplies the rate by `factor` every `every` steps.
    case stepDecay(every: Int, factor: Float)
    /// Cosine decay from the base rate to `minimum` over `totalSteps`.
    case cosine(totalSteps: Int, minimum: Float)
    /// Linear warm-up from 0 over `steps`, then `then`.
    case warmup(steps: Int, then: LearningRateSchedule)

    /// The rate at `step` (0-based) for base rate `base`.
    public func rate(at step: Int, base: Float) -> Float {
        switch self {
        case .constant:
            return base
        case let .stepDecay(every, factor):
            return base * Foundation.pow(factor, Float(step / max(1, every)))
        case let .cosine(total, minimum):
            let progress = min(1, Float(step) / Float(max(1, total)))
            return minimum + (base - minimum) * 0.5 * (1 + Foundation.cos(Float.pi * progress))
        case let .warmup(steps, then):
            if step < steps { return base * Float(step + 1) / Float(steps) }
            return then.rate(at: step - steps, base: base)
        }
    }
}
