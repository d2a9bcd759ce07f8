// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that `swift build` of Abacus never builds them.
// Run from this directory: swift package --disable-sandbox benchmark
let package = Package(
    name: "AbacusBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "abacus", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // Measured against in ClientBenchmarks.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "ExpositionBenchmarks",
            dependencies: [
                .product(name: "AbacusExposition", package: "abacus"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ExpositionBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GatewayStoreBenchmarks",
            dependencies: [
                .product(name: "AbacusExposition", package: "abacus"),
                .product(name: "AbacusGateway", package: "abacus"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GatewayStoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ClientBenchmarks",
            dependencies: [
                .product(name: "Abacus", package: "abacus"),
                .product(name: "AbacusExposition", package: "abacus"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ClientBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
