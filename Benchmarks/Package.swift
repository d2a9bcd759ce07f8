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
    ],
    swiftLanguageModes: [.v6]
)
