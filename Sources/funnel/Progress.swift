import Foundation
import FunnelData
import FunnelTensor

/// Shows progress: training epochs as a redrawn bar, or a running count of records, on a
/// terminal; plain log lines otherwise (a count every ten seconds).
final class Progress {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast
    private let label: String
    private let started = Date()
    private var counting = false

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

    /// Reports `done` records so far (throttled); `finish` ends a redrawn line.
    func count(_ done: Int, _ unit: String) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= (isTerminal ? 0.1 : 10) else { return }
        lastDraw = now
        let text = "\(label): \(done) \(unit)" + String(format: " (%.0f/s)", Double(done) / max(now.timeIntervalSince(started), 1e-9))
        if isTerminal {
            counting = true
            print("\r\u{1B}[2K" + text, terminator: "")
            fflush(nil)
        } else {
            print(text)
        }
    }

    func finish() {
        if counting { print("\r\u{1B}[2K", terminator: "") }
        counting = false
    }
}

/// Passes a source's batches on, counting their records for a progress line.
final class CountedSource: RecordBatchSource {
    private let source: any RecordBatchSource
    private let progress: Progress
    private var records = 0

    init(_ source: any RecordBatchSource, progress: Progress) {
        self.source = source
        self.progress = progress
    }

    func nextBatch() throws -> RecordBatch? {
        guard let batch = try source.nextBatch() else {
            progress.finish()
            return nil
        }
        records += batch.count
        progress.count(records, "records")
        return batch
    }
}
