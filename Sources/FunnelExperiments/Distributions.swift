import Foundation

/// The distribution functions the significance tests need: the standard normal, Student's t
/// (through the regularised incomplete beta function) and the chi-squared (through the
/// regularised incomplete gamma function), evaluated by their continued fractions.
public enum Distributions {
    /// P(Z ≤ z) for a standard normal Z.
    public static func normalCDF(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// The z with P(Z ≤ z) = p, by Newton's method from a rational start (|error| < 1e-12).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1, got \(p)")
        // Start: the logistic approximation, then Newton steps on the exact CDF.
        var z = log(p / (1 - p)) / 1.702
        for _ in 0..<50 {
            let step = (normalCDF(z) - p) / (exp(-z * z / 2) / (2 * Double.pi).squareRoot())
            z -= step
            if abs(step) < 1e-13 { break }
        }
        return z
    }

    /// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom (any positive real `df`,
    /// as Welch's test gives), from I_x(df/2, 1/2) with x = df / (df + t²).
    public static func studentTwoSided(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return 0 }
        if df.isInfinite { return 2 * normalCDF(-abs(t)) }
        return regularizedBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// The t with P(T ≤ t) = p for Student's t with `df` degrees of freedom, by bisection.
    public static func studentQuantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        precondition(p > 0 && p < 1, "a quantile needs 0 < p < 1, got \(p)")
        if df.isInfinite { return normalQuantile(p) }
        if p < 0.5 { return -studentQuantile(1 - p, degreesOfFreedom: df) }
        var (low, high) = (0.0, 1.0)
        while studentTwoSided(high, degreesOfFreedom: df) / 2 > 1 - p { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if studentTwoSided(middle, degreesOfFreedom: df) / 2 > 1 - p { low = middle } else { high = middle }
            if high - low < 1e-12 * max(1, high) { break }
        }
        return (low + high) / 2
    }

    /// The central range of a binomial count of `trials` with success probability `p` that holds
    /// at least `coverage` of its mass: `low` as high and `high` as low as they can be with
    /// P(X < low) and P(X > high) each at most (1 − coverage)/2, from the exact probabilities.
    public static func binomialRange(trials: Int, probability p: Double, coverage: Double = 0.95) -> ClosedRange<Int> {
        precondition(trials >= 0 && p > 0 && p < 1 && coverage > 0 && coverage < 1)
        let tail = (1 - coverage) / 2
        let n = Double(trials), logP: Double = log(p), logQ: Double = log(1 - p)
        let mass = (0...trials).map { k -> Double in
            let x = Double(k)
            let logChoose: Double = lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1)
            return exp(logChoose + x * logP + (n - x) * logQ)
        }
        var low = 0, below = 0.0
        while low < trials, below + mass[low] <= tail { below += mass[low]; low += 1 }
        var high = trials, above = 0.0
        while high > low, above + mass[high] <= tail { above += mass[high]; high -= 1 }
        return low...high
    }

    /// P(X ≥ x) for a chi-squared X with `df` degrees of freedom: Q(df/2, x/2).
    public static func chiSquaredUpperTail(_ x: Double, degreesOfFreedom df: Int) -> Double {
        guard x > 0 else { return 1 }
        return regularizedUpperGamma(Double(df) / 2, x / 2)
    }

    /// I_x(a, b), the regularised incomplete beta function: the continued fraction on the side
    /// where it converges fast, and the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) on the other.
    static func regularizedBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logFront: Double = logGammas + a * log(x) + b * log(1 - x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * betaFraction(1 - x, b, a) / b
    }

    /// The continued fraction of the incomplete beta function (modified Lentz).
    private static func betaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            // Even step, then odd step.
            let even: Double = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            for numerator in [even, odd] {
                d = 1 + numerator * d
                if abs(d) < tiny { d = tiny }
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                d = 1 / d
                f *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return f
    }

    /// Q(a, x) = Γ(a, x) / Γ(a): the series for P below a + 1, the continued fraction above.
    static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        let logFront = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * exp(logFront))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            if abs(d * c - 1) < 1e-15 { break }
        }
        return exp(logFront) * h
    }
}
