import Foundation
import FunnelEval
import FunnelTestSupport
import Testing

@Suite struct MetricsTests {
    /// Pairs (positive, negative): 0.9>0.8 ✓, 0.9>0.1 ✓, 0.4<0.8 ✗, 0.4>0.1 ✓ → 3/4.
    @Test func aucByHand() {
        #expect(Metrics.auc(scores: [0.9, 0.8, 0.4, 0.1], labels: [1, 0, 1, 0]) == 0.75)
        #expect(Metrics.auc(scores: [0.1, 0.2, 0.3], labels: [0, 1, 1]) == 1)
        #expect(Metrics.auc(scores: [0.3, 0.2, 0.1], labels: [0, 1, 1]) == 0)
    }

    /// Ties count one half: positive 0.5 ties one negative and beats the other → (0.5 + 1) / 2.
    @Test func aucCountsTiesAsHalf() {
        #expect(Metrics.auc(scores: [0.5, 0.5, 0.1], labels: [1, 0, 0]) == 0.75)
        #expect(Metrics.auc(scores: [0.5, 0.5, 0.5, 0.5], labels: [1, 0, 1, 0]) == 0.5)
    }

    @Test func aucIsUndefinedWithOneClass() {
        #expect(Metrics.auc(scores: [0.1, 0.2], labels: [1, 1]).isNaN)
    }

    /// −(ln 0.8 + ln 0.6) / 2.
    @Test func logLossByHand() {
        let expected = -(log(0.8) + log(0.6)) / 2
        #expect(abs(Metrics.logLoss(probabilities: [0.8, 0.4], labels: [1, 0]) - expected) < 1e-6)
        #expect(Metrics.logLoss(probabilities: [0, 1], labels: [0, 1]) < 1e-6)
        #expect(abs(Metrics.logLoss(probabilities: [0], labels: [1]) + log(1e-7)) < 1e-3)
    }

    @Test(.enabled(if: PythonPeer.available("sklearn", "numpy"), "scikit-learn missing (pip install scikit-learn)"),
          arguments: [1, 2, 3, 4])
    func matchesScikitLearn(seed: UInt64) throws {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        let n = 200 + Int(seed) * 100
        // Coarse scores create ties; labels correlate with scores.
        let scores = (0..<n).map { _ in Float((next() * 20).rounded() / 20) }
        let labels = scores.map { Float(next() < Double($0) * 0.8 + 0.1 ? 1 : 0) }
        let input = try JSONSerialization.data(withJSONObject: ["scores": scores.map(Double.init), "labels": labels.map(Double.init)])
        let result = try PythonPeer.run([PythonPeer.script("sklearn_metrics.py")], input: input)
        try #require(result.status == 0, "\(result.output)")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Double])
        #expect(abs(Metrics.auc(scores: scores, labels: labels) - reference["auc"]!) < 1e-9)
        #expect(abs(Metrics.logLoss(probabilities: scores, labels: labels) - reference["logloss"]!) < 1e-6)
    }
}

/// Two bins of two rows each: predicted (0.1 + 0.3) / 2 = 0.2 against 1 of 2 observed, then
/// (0.6 + 0.8) / 2 = 0.7 against 2 of 2; ECE = (2·0.3 + 2·0.3) / 4 = 0.3.
@Suite struct CalibrationTests {
    @Test func binsAndExpectedErrorByHand() {
        let c = Calibration(probabilities: [0.8, 0.1, 0.6, 0.3], labels: [1, 0, 1, 1], bins: 2)
        #expect(c.bins.map(\.count) == [2, 2])
        #expect(abs(c.bins[0].predicted - 0.2) < 1e-6 && c.bins[0].observed == 0.5)
        #expect(abs(c.bins[1].predicted - 0.7) < 1e-6 && c.bins[1].observed == 1)
        #expect(abs(c.expectedError - 0.3) < 1e-6)
    }

    /// Fewer rows than bins: only the bins that get rows are reported.
    @Test func fewRowsMakeFewerBins() {
        let c = Calibration(probabilities: [0.2, 0.4, 0.9], labels: [0, 1, 1])
        #expect(c.bins.count == 3 && c.bins.allSatisfy { $0.count == 1 })
        #expect(abs(c.expectedError - (0.2 + 0.6 + 0.1) / 3) < 1e-6)
    }
}
