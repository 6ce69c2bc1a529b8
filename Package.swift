// swift-tools-version: 6.1
import PackageDescription

// The compute targets (tensors, index, retrieval, ranking, reranking, the pipeline) are compiled
// for AVX2 and FMA on x86-64: the baseline target has only SSE2, which halves the width of every
// vector loop (distances, activations, mixtures, feature rows). Every x86-64 server CPU since 2013
// has both; `funnel` checks at start, before any of that code runs, and refuses a CPU without.
#if arch(x86_64)
let vectorKernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let vectorKernelSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "Funnel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "funnel", targets: ["funnel"]),
        .library(name: "FunnelTensor", targets: ["FunnelTensor"]),
        .library(name: "FunnelData", targets: ["FunnelData"]),
        .library(name: "FunnelEval", targets: ["FunnelEval"]),
        .library(name: "FunnelRanking", targets: ["FunnelRanking"]),
        .library(name: "FunnelRetrieval", targets: ["FunnelRetrieval"]),
        .library(name: "FunnelBench", targets: ["FunnelBench"]),
        .library(name: "FunnelStore", targets: ["FunnelStore"]),
        .library(name: "FunnelIndex", targets: ["FunnelIndex"]),
        .library(name: "FunnelServer", targets: ["FunnelServer"]),
        .library(name: "FunnelRerank", targets: ["FunnelRerank"]),
        .library(name: "FunnelPipeline", targets: ["FunnelPipeline"]),
        .library(name: "FunnelStages", targets: ["FunnelStages"]),
        .library(name: "FunnelTesting", targets: ["FunnelTesting"]),
        .library(name: "FunnelExperiments", targets: ["FunnelExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .target(name: "CMalloc"),
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CInt8Kernels"),
        .systemLibrary(name: "CCPUCheck"),
        .target(name: "CMatrixKernels"),
        .target(name: "CThreadState"),
        .target(name: "FunnelTensor", dependencies: ["CMalloc", "CMatrixKernels", "CThreadState"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelData"),
        .target(name: "FunnelEval", dependencies: ["FunnelData"]),
        .target(name: "FunnelIndex", dependencies: ["FunnelTensor", "CPrefetch", "CInt8Kernels"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelStore", dependencies: [
            "FunnelData",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "FunnelStages", dependencies: ["FunnelTensor"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelRanking", dependencies: ["FunnelTensor", "FunnelData", "FunnelEval", "FunnelStages"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelRetrieval", dependencies: ["FunnelTensor", "FunnelData", "FunnelEval", "FunnelIndex", "CPrefetch"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelRerank", dependencies: ["FunnelStages", "FunnelData", "FunnelIndex"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelExperiments", dependencies: ["FunnelData", "FunnelIndex"]),
        .target(name: "FunnelPipeline", dependencies: ["FunnelData", "FunnelEval", "FunnelIndex", "FunnelRetrieval", "FunnelRerank", "FunnelStore", "FunnelTensor",
                                                       "FunnelStages", "FunnelRanking", "FunnelExperiments"], swiftSettings: vectorKernelSettings),
        .target(name: "FunnelServer", dependencies: [
            "FunnelData", "FunnelStore", "FunnelPipeline", "FunnelExperiments",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "FunnelBench", dependencies: [
            "CMalloc", "FunnelTensor", "FunnelData", "FunnelRanking", "FunnelRetrieval", "FunnelStore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(
            name: "funnel",
            dependencies: [
                "CCPUCheck", "FunnelTensor", "FunnelData", "FunnelEval", "FunnelIndex", "FunnelRanking", "FunnelRetrieval", "FunnelRerank", "FunnelStages", "FunnelBench", "FunnelStore",
                "FunnelServer", "FunnelExperiments", "FunnelPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(name: "FunnelTestSupport", dependencies: ["FunnelData", "FunnelStore"]),
        // The stage contract suites, for anyone who writes a stage (Swift Testing).
        .target(name: "FunnelTesting", dependencies: ["FunnelStages", "FunnelTensor"]),
        .testTarget(name: "FunnelTensorTests", dependencies: ["FunnelTensor", "FunnelTestSupport"]),
        .testTarget(name: "FunnelDataTests", dependencies: ["FunnelData", "FunnelTestSupport"]),
        .testTarget(name: "FunnelStoreTests", dependencies: ["FunnelStore", "FunnelData", "FunnelIndex", "FunnelTestSupport"]),
        .testTarget(name: "FunnelRerankTests", dependencies: ["FunnelRerank", "FunnelStages", "FunnelTesting", "FunnelTensor", "FunnelData"]),
        .testTarget(name: "FunnelPipelineTests", dependencies: ["FunnelPipeline", "FunnelIndex", "FunnelRetrieval", "FunnelStore", "FunnelData", "FunnelTensor",
                                                                "FunnelStages", "FunnelTesting", "FunnelRanking", "FunnelTestSupport"]),
        .testTarget(name: "FunnelServerTests", dependencies: ["FunnelServer", "FunnelBench", "FunnelStore", "FunnelData", "FunnelPipeline", "FunnelIndex", "FunnelTestSupport", "FunnelRanking", "FunnelStages", "FunnelExperiments", "FunnelRerank", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FunnelIndexTests", dependencies: ["FunnelIndex"]),
        .testTarget(name: "FunnelExperimentsTests", dependencies: ["FunnelExperiments", "FunnelData"]),
        .testTarget(name: "FunnelEvalTests", dependencies: ["FunnelEval", "FunnelTestSupport"]),
        .testTarget(name: "FunnelRankingTests", dependencies: ["FunnelRanking", "FunnelData", "FunnelEval", "FunnelTensor", "FunnelTestSupport",
                                                               "FunnelStages", "FunnelTesting"]),
        .testTarget(name: "FunnelRetrievalTests", dependencies: ["FunnelRetrieval", "FunnelData", "FunnelEval", "FunnelTensor", "FunnelIndex", "FunnelTestSupport"]),
    ]
)
