// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so users of Funnel never resolve benchmark dependencies.
let package = Package(
    name: "FunnelBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Funnel", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Core",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FunnelTensor", package: "Funnel"),
                .product(name: "FunnelData", package: "Funnel"),
                .product(name: "FunnelBench", package: "Funnel"),
            ],
            path: "Benchmarks/Core",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
