import Benchmark
import Foundation
import FunnelBench
import FunnelData
import FunnelTensor

/// The numeric core's benchmarks. Threads come from `FUNNEL_THREADS` (default 1); datasets from
/// `FUNNEL_DATA` (default ../shared/data, relative to the repository root), with synthetic
/// Frappe-shaped data when Frappe is absent.
let benchmarks: @Sendable () -> Void = {
    let threads = Int(ProcessInfo.processInfo.environment["FUNNEL_THREADS"] ?? "") ?? 1
    Compute.setThreads(threads)
    let suffix = " (\(threads) thread\(threads == 1 ? "" : "s"), \(BLASLibrary.shared.kernel ?? "?"))"
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal]
    let data = ProcessInfo.processInfo.environment["FUNNEL_DATA"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../shared/data").standardizedFileURL

    // 1024³ matrix product through the autodiff graph against a raw cblas_sgemm on the same buffers.
    var generator = SeededGenerator(seed: 1)
    let a = Tensor.randomNormal(shape: [1024, 1024], generator: &generator)
    let b = Tensor.randomNormal(shape: [1024, 1024], generator: &generator)
    Benchmark("matmul 1024³ via Graph" + suffix, configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        for _ in benchmark.scaledIterations {
            let g = Graph(mode: .inference)
            blackHole(g.matmul(g.constant(a), g.constant(b)).value.scalars[0])
        }
    }
    Benchmark("matmul 1024³ raw cblas_sgemm" + suffix, configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        var c = [Float](repeating: 0, count: 1024 * 1024)
        for _ in benchmark.scaledIterations {
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transposeA: false, transposeB: false, m: 1024, n: 1024, k: 1024,
                                  a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
            blackHole(c[0])
        }
    }

    // Reference models: one training step per iteration; throughput × batch = examples/s.
    let frappe = (try? LibFMReader.read(data.appendingPathComponent("frappe/frappe.train.libfm"), vocabularySize: 5382))
        ?? Workloads.syntheticFrappe()
    let dcn = Workloads.dcnV2Training(data: frappe)
    Benchmark("DCN-v2 train step, batch 4096" + suffix, configuration: .init(metrics: metrics, maxDuration: .seconds(10))) { benchmark in
        for _ in benchmark.scaledIterations { dcn.step() }
    }
    Benchmark("DCN-v2 score 1,000 candidates" + suffix, configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(dcn.score(candidates: 1000)) }
    }
    if let movieLens = try? MovieLens100K.load(from: data.appendingPathComponent("ml-100k")) {
        let tower = Workloads.TwoTowerTraining(movieLens: movieLens)
        Benchmark("two-tower train step, batch 1024, d 64" + suffix, configuration: .init(metrics: metrics, maxDuration: .seconds(10))) { benchmark in
            for _ in benchmark.scaledIterations { tower.step() }
        }
    }

    // Sparse Adam on embedding tables: the step cost follows the 4,096 touched rows, not the table.
    for rows in [100_000, 1_000_000, 10_000_000] {
        Benchmark("sparse Adam step, \(rows) × 32 table, 4096 rows touched" + suffix,
                  configuration: .init(metrics: metrics, maxDuration: .seconds(5))) { benchmark in
            let table = Tables.shared.table(rows: rows)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { table.step() }
            benchmark.stopMeasurement()
        }
    }
}

/// Embedding tables built once per size (building 10⁷ rows takes seconds) and kept across samples.
final class Tables: @unchecked Sendable {
    static let shared = Tables()
    private var tables: [Int: Workloads.SparseEmbeddingTraining] = [:]

    func table(rows: Int) -> Workloads.SparseEmbeddingTraining {
        if let table = tables[rows] { return table }
        tables = [:]  // one large table at a time
        let table = Workloads.SparseEmbeddingTraining(rows: rows)
        table.step()  // allocates the optimizer state
        tables[rows] = table
        return table
    }
}
