import ArgumentParser
import Foundation
import FunnelBench
import FunnelData
import FunnelIndex
import FunnelRetrieval
import FunnelStore
import FunnelTensor

/// Benchmarks whose figures `Benchmarks/` compares and records; each prints JSON.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training, scoring, ingest and serving speed; prints JSON.",
        subcommands: [ModelsBench.self, IngestBench.self, ItemCFBench.self, FactorizationBench.self, RetrievalBench.self, VectorBench.self, ScanBench.self, FeedBench.self, LoadBench.self, RerankBench.self],
        defaultSubcommand: ModelsBench.self
    )
}

/// Measures training throughput and scoring latency of the reference models, printing the same
/// JSON keys as `Benchmarks/peers/pytorch_models.py` so the two can be compared side by side.
struct ModelsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Measure DCN-v2, DeepFM, DIN and two-tower training throughput and DCN-v2 scoring latency; prints JSON."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Timed training steps per model.")
    var steps: Int = 40

    enum Model: String, ExpressibleByArgument, CaseIterable { case all, dcn, twoTower = "two-tower", deepfm, din }

    @Option(help: "Which model to measure: \(Model.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: Model = .all

    func run() async throws {
        global.apply()
        var result: [String: Any] = ["peer": "funnel", "threads": global.threads, "blas": BLASLibrary.shared.summary,
                                      "blas_kernel": BLASLibrary.shared.kernel ?? "unknown"]
        if model == .all || model == .dcn { measureDCN(into: &result) }
        if model == .all || model == .deepfm {
            let deepFM = Workloads.deepFMTraining(data: frappe(into: &result))
            result["deepfm_train_examples_per_second"] = Double(deepFM.batchSize) / Measure.seconds(iterations: steps) { deepFM.step() }
        }
        if model == .all || model == .din {
            let din = Workloads.DINTraining()
            result["din_train_examples_per_second"] = Double(din.batchSize) / Measure.seconds(iterations: steps) { din.step() }
        }
        if model == .all || model == .twoTower, let movieLens = try? MovieLens100K.load(from: global.dataRoot.appendingPathComponent("ml-100k")) {
            let tower = Workloads.TwoTowerTraining(movieLens: movieLens)
            let towerSeconds = Measure.seconds(iterations: steps) { tower.step() }
            result["two_tower_train_examples_per_second"] = Double(tower.batchSize) / towerSeconds
        }
        result["peak_memory_mb"] = Measure.peakMemoryMiB
        try printJSON(result)
    }

    /// Frappe's training split, or synthetic data of its shape where the dataset is absent.
    private func frappe(into result: inout [String: Any]) -> FieldDataset {
        let file = global.dataRoot.appendingPathComponent("frappe").appendingPathComponent("frappe.train.libfm")
        let frappe = try? LibFMReader.read(file, vocabularySize: 5382)
        result["frappe_data"] = frappe == nil ? "synthetic" : "frappe"
        return frappe ?? Workloads.syntheticFrappe()
    }

    private func measureDCN(into result: inout [String: Any]) {
        let data = frappe(into: &result)
        let dcn = Workloads.dcnV2Training(data: data)
        let seconds = Measure.seconds(iterations: steps) { dcn.step() }
        result["dcn_v2_train_examples_per_second"] = Double(dcn.batchSize) / seconds
        let limit = Workloads.MatmulLimit(dcnV2: data, batchSize: dcn.batchSize)
        let limitSeconds = Measure.seconds(iterations: steps) { limit.step() }
        result["dcn_v2_matmul_limit_examples_per_second"] = Double(limit.batchSize) / limitSeconds
        result["dcn_v2_share_of_matmul_limit"] = limitSeconds / seconds

        let latencies = Measure.latencies(iterations: 200) { _ = dcn.score(candidates: 1000) }
        result["dcn_v2_score_1000_p50_ms"] = 1000 * Measure.quantile(latencies, 0.5)
        result["dcn_v2_score_1000_p99_ms"] = 1000 * Measure.quantile(latencies, 0.99)
        if Precision.bfloat16IsAvailable {
            let bfloat16 = Measure.latencies(iterations: 200) { _ = dcn.score(candidates: 1000, precision: .bfloat16) }
            result["dcn_v2_score_1000_bf16_p50_ms"] = 1000 * Measure.quantile(bfloat16, 0.5)
            result["dcn_v2_score_1000_bf16_p99_ms"] = 1000 * Measure.quantile(bfloat16, 0.99)
        }
        let scoringLimit = Workloads.MatmulLimit(dcnV2: data, batchSize: 1000, forwardOnly: true)
        let limitLatencies = Measure.latencies(iterations: 200) { scoringLimit.step() }
        result["dcn_v2_score_1000_matmul_limit_p50_ms"] = 1000 * Measure.quantile(limitLatencies, 0.5)
    }
}

/// Batched event ingest into a fresh SQLite file or PostgreSQL database.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append feed-shaped events in batches into an empty store; prints events/s."
    )

    @Option(help: "A SQLite file path (replaced) or a postgres:// URL (its events table must be empty).")
    var store: String

    @Option(help: "Events to append.")
    var events = 1_000_000

    @Option(help: "Events per batch.")
    var batch = 10_000

    func validate() throws {
        try validateBatchOption(batch)
        guard events >= 1 else { throw ValidationError("--events must be at least 1, got \(events)") }
    }

    func run() async throws {
        if !store.hasPrefix("postgres") {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
        }
        let target = try await StoreLocation.open(store)
        guard try await target.events(in: Date.distantPast..<Date.distantFuture, limit: 1).isEmpty else {
            throw ValidationError("the store at \(store) already holds events; benchmark into an empty one")
        }
        let workload = EventIngest(batchSize: batch)
        let seconds = try await workload.run(target, total: events)
        let result: [String: Any] = ["store": store.hasPrefix("postgres") ? "postgresql" : "sqlite", "events": events, "batch": batch,
                                     "seconds": seconds, "events_per_second": Double(events) / seconds, "peak_memory_mb": Measure.peakMemoryMiB]
        try printJSON(result)
    }
}

/// Builds ItemCF on a leave-last-out split and evaluates it under full ranking, timing the build;
/// `Benchmarks/compare_implicit.py` runs the same split with the implicit library.
struct ItemCFBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itemcf",
        abstract: "Time the ItemCF similarity build and report full-ranking quality; prints JSON."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Dataset: \(EvaluationDataset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: EvaluationDataset = .movieLens100K

    @Option(help: "Neighbours kept per item.")
    var k = 200

    @Option(help: "Builds to time (the median is reported).")
    var repeats = 5

    @Option(help: "Write the sampled protocol's candidate lists (a line per user: the test item, then 100 negatives) to this file.")
    var candidatesOut: String?

    func run() async throws {
        global.apply()
        let (interactions, users, items) = try dataset.load(from: global.dataRoot)
        let split = LeaveLastOutSplit(interactions, userCount: users)
        if let candidatesOut { try writeSampledCandidates(split, itemCount: items, to: candidatesOut) }
        let matrix = BaselineEvaluation.trainingMatrix(split, itemCount: items).matrix
        let seconds = Measure.latencies(warmup: 0, iterations: repeats) { _ = ItemCF.similarities(matrix, k: k) }
        let quality = BaselineEvaluation.itemCF(dataset, interactions: interactions, userCount: users, itemCount: items, k: k)
        let result: [String: Any] = ["peer": "funnel", "dataset": dataset.rawValue, "threads": global.threads, "k": k,
                                     "fit_seconds": Measure.quantile(seconds, 0.5), "sampled_hr10": quality.sampledHR10,
                                     "sampled_ndcg10": quality.sampledNDCG10, "full_hr10": quality.fullHR10,
                                     "full_ndcg10": quality.fullNDCG10, "full_recall50": quality.fullRecall50,
                                     "peak_memory_mb": Measure.peakMemoryMiB]
        try printJSON(result)
    }
}

/// Writes the sampled protocol's candidates, a line per user (the test item, then the negatives,
/// space-separated; empty for users without a test item), for a peer's script to rank.
func writeSampledCandidates(_ split: LeaveLastOutSplit, itemCount: Int, to path: String) throws {
    let lines = BaselineEvaluation.sampledCandidates(split, itemCount: itemCount).map { $0?.map(String.init).joined(separator: " ") ?? "" }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
}

extension BPR.Parameters.NegativeSampling: ExpressibleByArgument {}

/// Fits a matrix factorisation (implicit ALS or BPR) on a leave-last-out split (the median fit
/// of `repeats`) and reports the last fit's quality under both protocols;
/// `Benchmarks/compare_factorization.py` fits implicit's on the same split.
struct FactorizationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "factorization",
        abstract: "Time an implicit ALS or BPR fit and report full-ranking quality; prints JSON.",
        aliases: ["als"]
    )

    enum Model: String, ExpressibleByArgument, CaseIterable { case als, bpr }

    @OptionGroup var global: GlobalOptions

    @Option(help: "Dataset: \(EvaluationDataset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: EvaluationDataset = .movieLens100K

    @Option(help: "The factorisation: als or bpr.")
    var model: Model = .als

    @Option(help: "BPR's learning rate.")
    var learningRate: Float = BPR.Parameters().learningRate

    @Option(help: "BPR's negatives: uniform or popularity.")
    var negatives: BPR.Parameters.NegativeSampling = BPR.Parameters().negatives

    @Option(help: "Fits to time (the median is reported).")
    var repeats = 3

    @Option(help: "Write the sampled protocol's candidate lists (a line per user: the test item, then 100 negatives) to this file.")
    var candidatesOut: String?

    func validate() throws {
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    }

    func run() async throws {
        global.apply()
        let (interactions, users, items) = try dataset.load(from: global.dataRoot)
        var bpr = BPR.Parameters()
        bpr.learningRate = learningRate
        bpr.negatives = negatives
        if let candidatesOut {
            try writeSampledCandidates(LeaveLastOutSplit(interactions, userCount: users), itemCount: items, to: candidatesOut)
        }
        var seconds: [Double] = []
        // The fits are timed on the evaluation's own matrix, and the last one is evaluated.
        let quality = BaselineEvaluation.factorization(dataset, model: model.rawValue, interactions: interactions, userCount: users,
                                                       itemCount: items) { matrix in
            switch model {
            case .als:
                var fitted: ImplicitALS?
                seconds = Measure.latencies(warmup: 0, iterations: repeats) { fitted = ImplicitALS(matrix) }
                return { [fitted] in fitted!.scores(user: $0) }
            case .bpr:
                var fitted: BPR?
                seconds = Measure.latencies(warmup: 0, iterations: repeats) { fitted = BPR(matrix, parameters: bpr) }
                return { [fitted] in fitted!.scores(user: $0) }
            }
        }
        let result: [String: Any] = ["peer": "funnel", "model": model.rawValue, "dataset": dataset.rawValue, "threads": global.threads,
                                     "fit_seconds": Measure.quantile(seconds, 0.5), "full_hr10": quality.fullHR10,
                                     "full_ndcg10": quality.fullNDCG10, "full_recall50": quality.fullRecall50,
                                     "sampled_hr10": quality.sampledHR10, "sampled_ndcg10": quality.sampledNDCG10,
                                     "peak_memory_mb": Measure.peakMemoryMiB]
        try printJSON(result)
    }
}

/// Online retrieval latency and per-channel recall on a simulated feed as large as Amazon Games
/// (30,000 users, 24,000 items) by default: every channel for one user, merged and filtered.
struct RetrievalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Time one multi-channel retrieval per user, every channel merged and filtered, on a simulated feed; prints JSON.",
        discussion: """
            The indexes are built from every day but the last; requests come at the start of the last day, and each channel's recall is measured on the items users acted on that day.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Simulated users.")
    var users = 30_000

    @Option(help: "Simulated items.")
    var items = 24_000

    @Option(help: "Simulated authors.")
    var authors = 3_000

    @Option(help: "Simulated days (the last one is held out).")
    var days = 14

    @Option(help: "Seed of the simulation and of the sampled users.")
    var seed: UInt64 = 1

    @Option(help: "Requests to time.")
    var requests = 2_000

    @Option(help: "Users whose recall is measured.")
    var recallUsers = 2_000

    @Option(help: "Candidates per channel.")
    var quota = 100

    func validate() throws {
        guard days >= 2 else { throw ValidationError("--days must be at least 2: the last day is held out") }
        guard users >= 1, items >= 1, authors >= 1, requests >= 1, recallUsers >= 1, quota >= 1 else {
            throw ValidationError("--users, --items, --authors, --requests, --recall-users and --quota must be positive")
        }
    }

    func run() async throws {
        global.apply()
        var world = FeedWorld.Configuration()
        (world.seed, world.users, world.items, world.authors, world.days) = (seed, users, items, authors, days)
        let start = Date()
        let feed = try SimulatedRetrieval(world)
        let built = Date().timeIntervalSince(start)
        let sources = feed.indexes.sources(defaultQuota: quota)
        var generator = SplitMix64(seed: seed)
        let sample = (0..<max(requests, recallUsers)).map { _ in "u\(generator.next() % UInt64(users))" }
        var latencies: [Double] = [], candidates = 0
        for user in sample.prefix(requests) {
            let started = DispatchTime.now().uptimeNanoseconds
            let result = await feed.retriever(for: user, sources: sources).retrieve(for: feed.context(for: user))
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            candidates += result.candidates.count
        }
        latencies.sort()
        var channelP50: [String: Double] = [:]
        for source in sources {
            var times: [Double] = []
            for user in sample.prefix(requests) {
                let context = feed.context(for: user)
                let started = DispatchTime.now().uptimeNanoseconds
                _ = try await source.channel.retrieve(for: context, limit: 2 * quota)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            }
            channelP50[source.channel.name] = Measure.quantile(times.sorted(), 0.5)
        }
        let recall = await feed.recall(users: Array(Set(sample.prefix(recallUsers))).sorted(), sources: sources)
        let result: [String: Any] = [
            "users": users, "items": items, "days": days, "threads": global.threads, "training_events": feed.trainingEvents,
            "build_seconds": built, "requests": requests, "channels": sources.map(\.channel.name), "quota": quota,
            "p50_ms": Measure.quantile(latencies, 0.5), "p99_ms": Measure.quantile(latencies, 0.99),
            "mean_candidates": Double(candidates) / Double(requests), "channel_alone_p50_ms": channelP50,
            "recall": Dictionary(uniqueKeysWithValues: recall.map { ($0.channel, ["recall": $0.recall, "candidates": $0.candidates]) }),
            "peak_memory_mb": Measure.peakMemoryMiB,
        ]
        try printJSON(result)
    }
}

/// Vector search, ann-benchmarks style: build an index over `--base`, then for each `ef` run every
/// query of `--queries` and compare with the true neighbours of `--truth`.
struct VectorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Build an HNSW or exact index over .fvecs vectors and sweep ef: recall@k, queries/s, build time, memory; prints JSON.",
        discussion: "Benchmarks/vector_benchmark.py writes the files and runs hnswlib and faiss on the same data."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Base vectors (.fvecs).")
    var base: String

    @Option(help: "Query vectors (.fvecs).")
    var queries: String

    @Option(help: "True nearest neighbours of each query, best first (.ivecs).")
    var truth: String

    @Option(help: "Index: hnsw or exact.")
    var index = "hnsw"

    @Option(help: "Metric: \(VectorMetric.allCases.map(\.rawValue).joined(separator: ", ")).")
    var metric: String = "l2"

    @Option(help: "HNSW links per node (twice on layer 0).")
    var m = 16

    @Option(help: "HNSW build-time ef.")
    var efConstruction = 200

    @Option(parsing: .upToNextOption, help: "Search-time ef values to sweep.")
    var ef: [Int] = [10, 20, 40, 80, 160, 320]

    @Option(help: "Neighbours per query.")
    var k = 10

    @Option(help: "Times each ef is measured; the fastest run counts, as noise only slows a run down.")
    var runs = 3

    @Option(parsing: .upToNextOption, help: "Fractions of the vectors a random bitset filter allows, each swept with its own exact truth.")
    var selectivity: [Double] = []

    @Option(help: "Write the built HNSW index to this file and report the time to load it back.")
    var save: String?

    @Option(help: "Load the HNSW index from this file instead of building it.")
    var load: String?

    @Option(help: "Answer filters allowing fewer vectors than this by an exact scan (default: HNSWIndex.exactThreshold); 0 keeps every filtered search on the graph.")
    var exactBelow: Int?

    @Option(help: "Store the HNSW vectors as int8 codes (a scalar quantizer trained on the base vectors): int8 or none.")
    var quantize = "none"

    func validate() throws {
        guard runs >= 1, selectivity.allSatisfy({ $0 > 0 && $0 <= 1 }) else { throw ValidationError("--runs must be positive and --selectivity in (0, 1]") }
        guard index == "hnsw" || (save == nil && load == nil && exactBelow == nil && quantize == "none") else {
            throw ValidationError("--save, --load, --exact-below and --quantize apply to --index hnsw")
        }
        guard ["none", "int8"].contains(quantize) else { throw ValidationError("--quantize must be none or int8, got \(quantize)") }
        guard load == nil || quantize == "none" else { throw ValidationError("a loaded index keeps the quantization it was saved with: drop --quantize") }
        guard ["hnsw", "exact"].contains(index) else { throw ValidationError("--index must be hnsw or exact, got \(index)") }
        guard VectorMetric(rawValue: metric) != nil else { throw ValidationError("unknown --metric \(metric)") }
        guard k >= 1, m >= 2, efConstruction >= 1, ef.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--k, --m, --ef-construction and --ef must be positive") }
    }

    func run() async throws {
        global.apply()
        let metric = VectorMetric(rawValue: metric)!
        let baseURL = URL(fileURLWithPath: base)
        // Memory: resident before reading the vectors, and after building with the inputs freed.
        let before = Measure.residentMemoryMiB
        var result: [String: Any] = ["peer": "funnel", "index": index, "metric": metric.rawValue, "threads": global.threads,
                                     "m": m, "ef_construction": efConstruction]
        var graph: HNSWIndex?
        let search: (_ query: [Float], _ ef: Int, _ filter: VectorFilter?) -> [VectorHit]
        let d: Int, count: Int
        if index == "hnsw" {
            let built: HNSWIndex
            if let load {
                let start = Date()
                built = try HNSWIndex(contentsOf: URL(fileURLWithPath: load))
                result["load_seconds"] = Date().timeIntervalSince(start)
            } else {
                let rows = try Self.rows(baseURL)
                let start = Date()
                let quantizer = quantize == "int8" ? ScalarQuantizer(training: rows, metric: metric) : nil
                built = HNSWIndex(dimension: rows[0].count, metric: metric, parameters: .init(m: m, efConstruction: efConstruction),
                                  capacity: rows.count, quantizer: quantizer)
                built.add(contentsOf: rows)
                result["build_seconds"] = Date().timeIntervalSince(start)
            }
            (d, count) = (built.dimension, built.count)
            (result["m"], result["ef_construction"]) = (built.parameters.m, built.parameters.efConstruction)   // a loaded index's own
            result["quantize"] = built.quantizer == nil ? "none" : "int8"
            search = { built.search($0, k: k, ef: $1, filter: $2, exactBelow: exactBelow) }
            result["index_mb"] = Double(built.memoryBytes) / 1_048_576
            graph = built
        } else {
            let rows = try Self.rows(baseURL)
            let start = Date()
            let exact = ExactIndex(dimension: rows[0].count, metric: metric, capacity: rows.count)
            for row in rows { exact.add(row) }
            result["build_seconds"] = Date().timeIntervalSince(start)
            (d, count) = (exact.vectors.dimension, exact.count)
            search = { query, _, filter in exact.search(query, k: k, filter: filter) }
            result["index_mb"] = Double(exact.vectors.memoryBytes) / 1_048_576
        }
        Measure.releaseFreedMemory()
        result["memory_growth_mb"] = Measure.residentMemoryMiB - before
        result["count"] = count
        result["dimension"] = d
        let queryRows = try Self.rows(URL(fileURLWithPath: queries))
        let queryCount = queryRows.count
        let (td, truthValues) = try VectorFiles.readInts(URL(fileURLWithPath: truth))
        guard queryRows[0].count == d, td >= k, truthValues.count / td == queryCount else {
            throw CommandFailure("index dimension \(d), query dimension \(queryRows[0].count), truth width \(td) (need ≥ \(k)) for \(queryCount) queries")
        }
        if let save, let graph {
            try graph.write(to: URL(fileURLWithPath: save))
            let loadStart = Date()
            _ = try HNSWIndex(contentsOf: URL(fileURLWithPath: save))
            result["load_seconds"] = Date().timeIntervalSince(loadStart)
            result["file_mb"] = Double((try FileManager.default.attributesOfItem(atPath: save)[.size] as? Int) ?? 0) / 1_048_576
        }

        /// Recall@k against `truth` (k ids per query) and the best queries/s over the runs.
        func sweep(filter: VectorFilter?, truth: (Int) -> ArraySlice<Int32>) -> [[String: Any]] {
            (index == "hnsw" ? ef : [0]).map { ef in
                var found = [[Int32]](repeating: [], count: queryCount)
                var best = Double.infinity
                for _ in 0..<runs {
                    let started = Date()
                    found.withUnsafeMutableBufferPointer { out in
                        nonisolated(unsafe) let out = out
                        Compute.parallel(queryCount, chunks: global.threads) { _, range in
                            for q in range { out[q] = search(queryRows[q], ef, filter).map(\.id) }
                        }
                    }
                    best = min(best, Date().timeIntervalSince(started))
                }
                let hits = (0..<queryCount).reduce(0) { $0 + Set(found[$1]).intersection(truth($1)).count }
                return ["ef": ef, "recall": Double(hits) / Double(queryCount * k), "qps": Double(queryCount) / best]
            }
        }
        result["sweep"] = sweep(filter: nil) { truthValues[($0 * td)..<($0 * td + k)] }

        // Filtered: a random subset of the vectors, its exact answers from a scan of just that subset.
        var filtered: [[String: Any]] = []
        let scan = ExactIndex(dimension: d, metric: metric, capacity: selectivity.isEmpty ? 1 : count)
        if !selectivity.isEmpty { for row in try Self.rows(baseURL) { scan.add(row) } }
        for fraction in selectivity {
            var generator = SplitMix64(seed: UInt64(fraction * 1e6))
            var allowed = Bitset(count: count)
            for i in 0..<count where generator.nextUnitDouble() < fraction { allowed[i] = true }
            let filter = VectorFilter(allowed)
            let truth = queryRows.map { scan.search($0, k: k, filter: filter).map(\.id) }
            filtered.append(["selectivity": fraction, "allowed": allowed.setCount,
                             "sweep": sweep(filter: filter) { truth[$0][...] }])
        }
        if !filtered.isEmpty { result["filtered"] = filtered }
        result["peak_memory_mb"] = Measure.peakMemoryMiB
        try printJSON(result)
    }

    private static func rows(_ url: URL) throws -> [[Float]] {
        let (d, values) = try VectorFiles.readFloats(url)
        guard d > 0, !values.isEmpty else { throw CommandFailure("\(url.path) holds no vectors") }
        return (0..<(values.count / d)).map { Array(values[($0 * d)..<(($0 + 1) * d)]) }
    }
}

/// Prints a benchmark's result as one line of JSON with sorted keys, as the comparison scripts read it.
func printJSON(_ result: [String: Any]) throws {
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}
