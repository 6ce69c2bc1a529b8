import Foundation
import FunnelData
import Testing
@testable import FunnelExperiments

/// The tests' figures are worked by hand or are the textbook values of each distribution
/// (to the digits shown).
@Suite struct StatisticsTests {
    @Test func distributionsMatchTheirTables() {
        #expect(abs(Distributions.normalCDF(1.96) - 0.9750021) < 1e-7)
        #expect(abs(Distributions.normalQuantile(0.975) - 1.9599640) < 1e-7)
        #expect(abs(Distributions.studentTwoSided(2, degreesOfFreedom: 10) - 0.0733880) < 1e-7)
        #expect(abs(Distributions.studentTwoSided(2, degreesOfFreedom: 3.5) - 0.1261385) < 1e-7)
        #expect(abs(Distributions.studentQuantile(0.975, degreesOfFreedom: 10) - 2.2281389) < 1e-6)
        #expect(abs(Distributions.studentQuantile(0.025, degreesOfFreedom: 10) + 2.2281389) < 1e-6)
        #expect(abs(Distributions.chiSquaredUpperTail(3.841459, degreesOfFreedom: 1) - 0.05) < 1e-7)
        #expect(abs(Distributions.chiSquaredUpperTail(10, degreesOfFreedom: 4) - 0.0404277) < 1e-7)
        #expect(abs(Distributions.chiSquaredUpperTail(30, degreesOfFreedom: 20) - 0.0698537) < 1e-7)
        #expect(abs(Distributions.chiSquaredUpperTail(0.5, degreesOfFreedom: 3) - 0.9188914) < 1e-7)
    }

    /// Control 1…4 and treatment 2, 4, …, 10: means 2.5 and 6, variances 5/3 and 10, so the
    /// standard error is √(5/12 + 2) = 1.554563, t = 2.251436 on 5.520788 degrees of freedom
    /// ((29/12)² / ((5/12)²/3 + 2²/4)), p = 0.069134, and the interval 3.5 ± 2.499331 · se.
    /// Binomial(20, ½): P(X ≤ 5) = 0.0207 and P(X ≤ 6) = 0.0577, so the central 95% range is
    /// 6…14; Binomial(200, 0.05), the A/A test's count at 200 splits: 4…16.
    @Test func binomialRangeByHand() {
        #expect(Distributions.binomialRange(trials: 20, probability: 0.5) == 6...14)
        #expect(Distributions.binomialRange(trials: 200, probability: 0.05) == 4...16)
        #expect(Distributions.binomialRange(trials: 1000, probability: 0.05) == 37...64)
    }

    @Test func welchByHand() {
        let c = Comparison.welch(control: [1, 2, 3, 4], treatment: [2, 4, 6, 8, 10])
        #expect(c.control == 2.5 && c.treatment == 6 && c.difference == 3.5)
        #expect(abs(c.standardError - 1.554563) < 1e-6)
        #expect(abs(c.pValue - 0.0691336) < 1e-6)
        #expect(abs(c.lower - (3.5 - 3.885367)) < 1e-5 && abs(c.upper - (3.5 + 3.885367)) < 1e-5)
        #expect(!c.isSignificant && abs(c.relative - 1.4) < 1e-12)
    }

    /// With every denominator 1, the ratio is the mean and its delta-method variance the
    /// variance of the mean.
    @Test func ratioOfUnitDenominatorsIsTheMean() {
        let y: [Double] = [0, 1, 3, 2, 5, 1]
        let r = RatioEstimate(numerators: y, denominators: Array(repeating: 1, count: y.count))
        #expect(abs(r.ratio - 2) < 1e-12)
        #expect(abs(r.variance - 3.2 / 6) < 1e-12)   // sample variance 16/5, over n = 6
    }

    /// Users with their own click rates and varied exposure counts: the spread of Σclicks /
    /// Σexposures over many samples matches the delta method's variance, where counting every
    /// exposure as independent (the binomial variance) understates it.
    @Test func deltaMethodMatchesTheSpreadOfRepeatedSamples() {
        var generator = SplitMix64(seed: 7)
        func sample() -> (clicks: [Double], exposures: [Double]) {
            var clicks: [Double] = [], exposures: [Double] = []
            for _ in 0..<400 {
                let n = Double(1 + Int(generator.nextUnitDouble() * 40))
                let rate = generator.nextUnitDouble() < 0.5 ? 0.05 : 0.35
                clicks.append((0..<Int(n)).reduce(0) { s, _ in s + (generator.nextUnitDouble() < rate ? 1 : 0) })
                exposures.append(n)
            }
            return (clicks, exposures)
        }
        var ratios: [Double] = [], estimates: [Double] = [], binomial: [Double] = []
        for _ in 0..<400 {
            let (clicks, exposures) = sample()
            let estimate = RatioEstimate(numerators: clicks, denominators: exposures)
            ratios.append(estimate.ratio)
            estimates.append(estimate.variance)
            binomial.append(estimate.ratio * (1 - estimate.ratio) / exposures.reduce(0, +))
        }
        let spread = Moments(ratios).variance, delta = Moments(estimates).mean, naive = Moments(binomial).mean
        #expect(abs(delta / spread - 1) < 0.2, "delta \(delta), observed \(spread)")
        #expect(naive < 0.8 * spread, "binomial \(naive), observed \(spread)")
    }

    /// Covariates equal to the control values and the treatment adding 2 to each: θ = 1 removes
    /// every difference but the effect (control 2.5 each, treatment 4.5 each), and the pooled
    /// variance falls from 18/7 to 8/7.
    @Test func cupedByHand() {
        let (c, reduction) = Comparison.cuped(control: ([1, 2, 3, 4], [1, 2, 3, 4]), treatment: ([3, 4, 5, 6], [1, 2, 3, 4]))
        #expect(abs(c.difference - 2) < 1e-12 && c.standardError < 1e-12 && c.pValue == 0)
        #expect(abs(reduction - (1 - (8.0 / 7) / (18.0 / 7))) < 1e-12)
    }

    /// On noisy users whose pre-period predicts their metric, CUPED keeps the effect and
    /// narrows its interval by about the squared correlation.
    @Test func cupedNarrowsTheIntervalWithoutBias() {
        var generator = SplitMix64(seed: 11)
        func users(_ effect: Double) -> (values: [Double], covariates: [Double]) {
            var values: [Double] = [], covariates: [Double] = []
            for _ in 0..<5_000 {
                let habit = 10 * generator.nextUnitDouble()
                covariates.append(habit + generator.nextUnitDouble() - 0.5)
                values.append(habit + effect + generator.nextUnitDouble() - 0.5)
            }
            return (values, covariates)
        }
        let control = users(0), treatment = users(0.2)
        let plain = Comparison.welch(control: control.values, treatment: treatment.values)
        let (adjusted, reduction) = Comparison.cuped(control: control, treatment: treatment)
        #expect(abs(adjusted.difference - 0.2) < 0.02)
        #expect(reduction > 0.8 && adjusted.standardError < 0.5 * plain.standardError)
        #expect(adjusted.isSignificant)
    }

    /// 5,100 against 4,900 planned even: χ² = 2 · 100² / 5,000 = 4, p = 0.0455, no alarm;
    /// 5,200 against 4,800: χ² = 16, p = 6.3e-5, a mismatch.
    @Test func sampleRatioByHand() {
        let even = SampleRatioCheck(observed: [5_000, 5_000], shares: [1, 1])
        #expect(even.chiSquared == 0 && even.pValue == 1 && !even.isMismatch)
        let slight = SampleRatioCheck(observed: [5_100, 4_900], shares: [0.5, 0.5])
        #expect(abs(slight.chiSquared - 4) < 1e-12 && abs(slight.pValue - 0.0455003) < 1e-7 && !slight.isMismatch)
        let broken = SampleRatioCheck(observed: [5_200, 4_800], shares: [1, 1])
        #expect(abs(broken.pValue - 6.334248e-5) < 1e-10 && broken.isMismatch)
        let uneven = SampleRatioCheck(observed: [900, 9_100], shares: [0.1, 0.9])
        #expect(abs(uneven.chiSquared - (10_000.0 / 1_000 + 10_000.0 / 9_000)) < 1e-12)
    }
}
