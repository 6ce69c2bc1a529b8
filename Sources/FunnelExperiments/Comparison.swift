import Foundation

/// One metric compared between a control arm and a treatment arm of users: the effect, its
/// confidence interval and its p-value.
public struct Comparison: Sendable, Equatable, Codable {
    public var control: Double
    public var treatment: Double
    /// treatment − control.
    public var difference: Double
    public var standardError: Double
    /// The two-sided interval for the difference at `confidence`.
    public var lower: Double
    public var upper: Double
    public var pValue: Double
    public var confidence: Double

    /// The difference relative to control (0.05: five per cent more).
    public var relative: Double { control == 0 ? .nan : difference / control }
    public var isSignificant: Bool { pValue < 1 - confidence }

    /// The smallest true difference this test finds significant with probability `power`, by
    /// the normal approximation: (z_{1−α/2} + z_power) · standard error.
    public func minimumDetectable(power: Double = 0.8) -> Double {
        (Distributions.normalQuantile(1 - (1 - confidence) / 2) + Distributions.normalQuantile(power)) * standardError
    }

    /// Welch's t-test of two means, each arm's values one per user (unequal variances; the
    /// Welch–Satterthwaite degrees of freedom).
    public static func welch(control a: [Double], treatment b: [Double], confidence: Double = 0.95) -> Comparison {
        let (x, y) = (Moments(a), Moments(b))
        let (va, vb) = (x.variance / Double(x.count), y.variance / Double(y.count))
        let se = (va + vb).squareRoot()
        let df = (va + vb) * (va + vb) / (va * va / Double(x.count - 1) + vb * vb / Double(y.count - 1))
        return Comparison(control: x.mean, treatment: y.mean, standardError: se, degreesOfFreedom: df.isFinite ? df : .infinity,
                          confidence: confidence)
    }

    /// A ratio metric, Σ numerator / Σ denominator over each arm's users (clicks per exposure),
    /// by the delta method: the users are the randomised units, so the per-exposure rows within
    /// one user are not independent and a binomial test would overstate the evidence.
    public static func ratio(control: (numerators: [Double], denominators: [Double]),
                             treatment: (numerators: [Double], denominators: [Double]), confidence: Double = 0.95) -> Comparison {
        let a = RatioEstimate(numerators: control.numerators, denominators: control.denominators)
        let b = RatioEstimate(numerators: treatment.numerators, denominators: treatment.denominators)
        return Comparison(control: a.ratio, treatment: b.ratio, standardError: (a.variance + b.variance).squareRoot(),
                          degreesOfFreedom: .infinity, confidence: confidence)
    }

    /// `welch` on CUPED-adjusted values: each user's value less θ·(covariate − its mean), with
    /// θ = Cov(value, covariate) / Var(covariate) over both arms (the covariate being the same
    /// metric before the experiment began, which the treatment cannot have moved). The means'
    /// difference is unbiased and its variance shrinks by the squared correlation. Also
    /// returns that share of variance removed.
    public static func cuped(control: (values: [Double], covariates: [Double]), treatment: (values: [Double], covariates: [Double]),
                             confidence: Double = 0.95) -> (comparison: Comparison, varianceReduction: Double) {
        let values = control.values + treatment.values, covariates = control.covariates + treatment.covariates
        let (y, x) = (Moments(values), Moments(covariates))
        let covariance = zip(values, covariates).reduce(0) { $0 + ($1.0 - y.mean) * ($1.1 - x.mean) } / Double(values.count - 1)
        let theta = x.variance > 0 ? covariance / x.variance : 0
        func adjusted(_ v: [Double], _ c: [Double]) -> [Double] { zip(v, c).map { $0 - theta * ($1 - x.mean) } }
        let a = adjusted(control.values, control.covariates), b = adjusted(treatment.values, treatment.covariates)
        let reduction = y.variance > 0 ? 1 - Moments(a + b).variance / y.variance : 0
        return (welch(control: a, treatment: b, confidence: confidence), reduction)
    }

    init(control: Double, treatment: Double, standardError se: Double, degreesOfFreedom df: Double, confidence: Double) {
        self.control = control
        self.treatment = treatment
        difference = treatment - control
        standardError = se
        self.confidence = confidence
        if se > 0 {
            let t = difference / se
            pValue = Distributions.studentTwoSided(t, degreesOfFreedom: df)
            let half = Distributions.studentQuantile(1 - (1 - confidence) / 2, degreesOfFreedom: df) * se
            (lower, upper) = (difference - half, difference + half)
        } else {
            pValue = difference == 0 ? 1 : 0
            (lower, upper) = (difference, difference)
        }
    }
}

/// Count, mean and sample variance (n − 1) of a list of values.
struct Moments {
    var count: Int
    var mean: Double
    var variance: Double

    init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        let m = mean
        variance = values.count < 2 ? 0 : values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
    }
}

/// Σy / Σx over n users and the delta-method variance of that ratio:
/// Var(ȳ/x̄) ≈ (Var y − 2R Cov(x, y) + R² Var x) / (n x̄²).
struct RatioEstimate {
    var ratio: Double
    var variance: Double

    init(numerators y: [Double], denominators x: [Double]) {
        precondition(y.count == x.count, "a ratio metric needs one numerator and one denominator per user")
        let n = Double(y.count)
        let (my, mx) = (Moments(y), Moments(x))
        ratio = my.mean / mx.mean
        let covariance = n < 2 ? 0 : zip(y, x).reduce(0) { $0 + ($1.0 - my.mean) * ($1.1 - mx.mean) } / (n - 1)
        variance = (my.variance - 2 * ratio * covariance + ratio * ratio * mx.variance) / (n * mx.mean * mx.mean)
    }
}
