import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelIndex
import FunnelTensor

/// The exact scan against the machine's memory bandwidth, both measured in the same process on
/// the same buffer: a plain SIMD read of every vector (what the memory system can deliver), then
/// exact searches of one query at a time, each reading every vector once; with several threads,
/// both split the rows among them.
struct ScanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Exact scan of random vectors against a plain read of the same memory; prints JSON."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Vectors in the index.")
    var count = 1_000_000

    @Option(help: "Vector dimension.")
    var dimension = 64

    @Option(help: "Queries per pass.")
    var queries = 20

    @Option(help: "Passes; the fastest counts.")
    var runs = 5

    @Option(help: "Metric: \(VectorMetric.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metric: String = "ip"

    func validate() throws {
        guard count > 0, dimension > 0, queries > 0, runs > 0 else { throw ValidationError("--count, --dimension, --queries and --runs must be positive") }
        guard VectorMetric(rawValue: metric) != nil else { throw ValidationError("unknown --metric \(metric)") }
    }

    func run() async throws {
        global.apply()
        let threads = global.threads
        let index = ExactIndex(dimension: dimension, metric: VectorMetric(rawValue: metric)!, capacity: count)
        var generator = SplitMix64(seed: 7)
        var row = [Float](repeating: 0, count: dimension)
        for _ in 0..<count {
            for j in 0..<dimension { row[j] = Float(generator.nextUnitDouble()) - 0.5 }
            index.add(row)
        }
        let storage = index.vectors
        let bytes = Double(count * dimension * MemoryLayout<Float>.stride)

        // The read: every float summed with 16-lane SIMD and four accumulators, the rows split among the threads.
        var readSeconds = Double.infinity, checksum: Float = 0
        for _ in 0..<runs {
            let started = Date()
            var sums = [Float](repeating: 0, count: threads)
            sums.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Compute.parallel(count, chunks: threads) { chunk, range in
                    out[chunk] = Self.sum(storage[range.lowerBound], range.count * storage.dimension)
                }
            }
            readSeconds = min(readSeconds, Date().timeIntervalSince(started))
            checksum += sums.reduce(0, +)
        }

        // The scans: one query at a time, its rows split among the threads as the read split them.
        let queryRows = (0..<queries).map { q in (0..<dimension).map { Float(sin(Double(q * dimension + $0))) } }
        var scanSeconds = Double.infinity, found = 0
        for _ in 0..<runs {
            let started = Date()
            for query in queryRows { found += index.search(query, k: 10, threads: threads).count }
            scanSeconds = min(scanSeconds, Date().timeIntervalSince(started))
        }
        let readRate = bytes / readSeconds / 1e9
        let scanRate = bytes * Double(queries) / scanSeconds / 1e9
        try printJSON(["count": count, "dimension": dimension, "threads": threads, "metric": metric,
                       "read_gb_per_s": readRate, "scan_gb_per_s": scanRate, "scan_fraction_of_read": scanRate / readRate,
                       "scan_ms_per_query": scanSeconds / Double(queries) * 1000, "queries_per_s": Double(queries) / scanSeconds,
                       "checksum": Double(checksum), "hits": found])
    }

    /// The sum of `n` floats, 64 at a time with four 16-lane accumulators.
    private static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i &+ 64 <= n {
            s0 += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            s1 += raw.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
            s2 += raw.loadUnaligned(fromByteOffset: (i &+ 32) &* 4, as: SIMD16<Float>.self)
            s3 += raw.loadUnaligned(fromByteOffset: (i &+ 48) &* 4, as: SIMD16<Float>.self)
            i &+= 64
        }
        var total = ((s0 + s1) + (s2 + s3)).sum()
        while i < n {
            total += p[i]
            i &+= 1
        }
        return total
    }
}
