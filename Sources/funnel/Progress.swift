import Foundation
import FunnelTensor

/// Shows training progress: a redrawn bar on a terminal, plain log lines otherwise.
final class Progress {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast
    private let label: String

    init(label: String) {
        self.label = label
    }

    func handle(_ event: TrainingEvent, metric: String) {
        switch event {
        case let .batch(epoch, batch, total, loss):
            guard isTerminal, batch == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
            let width = 30, filled = width * batch / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print("\r\(label) epoch \(epoch) \(bar) \(batch)/\(total) loss \(String(format: "%.4f", loss))", terminator: "")
            fflush(nil)
        case let .epoch(s):
            if isTerminal { print("\r\u{1B}[2K", terminator: "") }
            print(String(format: "%@ epoch %3d  loss %.4f  %@ %.4f%@  lr %.0e  %.1fs  %.0f ex/s",
                         label, s.epoch, s.trainingLoss, metric, s.validationScore, s.improved ? " *" : "  ",
                         Double(s.learningRate), s.seconds, s.examplesPerSecond))
            fflush(nil)
        }
    }
}
