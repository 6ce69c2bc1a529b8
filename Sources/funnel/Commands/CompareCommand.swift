import ArgumentParser
import Foundation

/// Side-by-side quality studies of the ranking models, each on fixed splits over several seeds
/// or on a store's own log.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare ranking models: multi-task learning on UCI Adult, or every ranker on a store's log.",
        subcommands: [AdultComparison.self, RankerComparison.self, FusionComparison.self, SequenceComparison.self]
    )
}

/// Mean and sample standard deviation, as `0.9123 ± 0.0012`.
func meanAndDeviation(_ values: [Double]) -> String {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
    return String(format: "%.4f ± %.4f", mean, variance.squareRoot())
}

/// Writes `value` as pretty, key-sorted JSON, atomically (a reader never sees half a file).
func writeJSON(_ value: some Encodable, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
    print("wrote \(path)")
}
