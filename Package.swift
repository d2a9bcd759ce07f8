// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "abacus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AbacusExposition", targets: ["AbacusExposition"]),
        .library(name: "Abacus", targets: ["Abacus"]),
        .library(name: "AbacusMetrics", targets: ["AbacusMetrics"]),
        .library(name: "AbacusHummingbird", targets: ["AbacusHummingbird"]),
        .library(name: "AbacusPush", targets: ["AbacusPush"]),
        .library(name: "AbacusGateway", targets: ["AbacusGateway"]),
        .executable(name: "abacus", targets: ["abacus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // recvmmsg for the UDP ops listener (not visible to Swift without _GNU_SOURCE).
        .target(name: "CAbacusSocket"),
        // A histogram bucket's count and sum in one 16-byte atomic (cmpxchg16b on x86-64).
        .target(name: "CAbacusAtomics"),
        // The data model and every wire format. Pure: no I/O, no networking.
        .target(
            name: "AbacusExposition",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protobuf/metrics.proto"],
            swiftSettings: strict
        ),
        // The client library: instruments, labelled families, the registry and its exposition,
        // collectors (process metrics).
        .target(
            name: "Abacus",
            dependencies: ["AbacusExposition", "CAbacusAtomics"],
            swiftSettings: strict
        ),
        // An apple/swift-metrics backend over an Abacus registry.
        .target(
            name: "AbacusMetrics",
            dependencies: [
                "Abacus", "AbacusExposition",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Pull: a /metrics route and a request middleware for Hummingbird, and a standalone
        // endpoint for programs without a web server.
        .target(
            name: "AbacusHummingbird",
            dependencies: [
                "Abacus", "AbacusExposition",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Push: Pushgateway push/add/delete, interval push as a Service, JSON-lines ops sender.
        .target(
            name: "AbacusPush",
            dependencies: [
                "Abacus", "AbacusExposition",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: strict
        ),
        // The gateway as a library: store, durable journal, HTTP API, scrape rendering.
        .target(
            name: "AbacusGateway",
            dependencies: [
                "AbacusExposition",
                "Abacus",
                "CAbacusSocket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CompressNIO", package: "compress-nio"),
                // Security: TLS and client certificates, bcrypt, SHA-256 of tokens, the YAML files.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // The `abacus` command line: a thin layer of ArgumentParser commands over the libraries.
        .executableTarget(
            name: "abacus",
            dependencies: [
                "AbacusExposition",
                "AbacusGateway",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Examples, built with everything else (and run by tests).
        .executableTarget(
            name: "HummingbirdServiceExample",
            dependencies: [
                "Abacus", "AbacusHummingbird", "AbacusMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/HummingbirdService",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "BackupJobExample",
            dependencies: [
                "Abacus", "AbacusExposition", "AbacusPush",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/BackupJob",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "LoadWorkerExample",
            dependencies: [
                "Abacus", "AbacusExposition", "AbacusPush",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/LoadWorker",
            swiftSettings: strict
        ),
        // Test kit shared by the test targets: real peers (promtool, Prometheus, Pushgateway,
        // Python's client), an HTTP helper, child processes, a gateway started for a test.
        // fork + PR_SET_PDEATHSIG + exec for the test kit's ChildProcess (the tests' children
        // die with the test process).
        .target(name: "CAbacusSpawn", path: "Tests/CAbacusSpawn"),
        .target(
            name: "AbacusTesting",
            dependencies: [
                "AbacusExposition", "CAbacusSpawn",
                // Certificates and keys generated by the tests (TestPKI), bcrypt hashes.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            path: "Tests/AbacusTesting",
            swiftSettings: strict
        ),
        // An in-process gateway on real sockets, for the test targets that need one.
        .target(
            name: "AbacusGatewayTesting",
            dependencies: ["AbacusGateway", .product(name: "Logging", package: "swift-log")],
            path: "Tests/AbacusGatewayTesting",
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusExpositionTests",
            dependencies: ["AbacusExposition", "AbacusTesting"],
            // Read from the source tree by path (TestFiles), so they can be regenerated in place.
            exclude: ["Golden", "Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusTests",
            dependencies: ["Abacus", "AbacusExposition", "AbacusTesting"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusGatewayTests",
            dependencies: ["AbacusGateway", "AbacusGatewayTesting", "AbacusExposition", "AbacusTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusMetricsTests",
            dependencies: [
                "AbacusMetrics", "Abacus", "AbacusExposition", "AbacusTesting",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusHummingbirdTests",
            dependencies: [
                "AbacusHummingbird", "Abacus", "AbacusExposition", "AbacusTesting",
                // Run as a process by the Prometheus scrape test: built with the tests.
                "HummingbirdServiceExample",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusPushTests",
            dependencies: [
                "AbacusPush", "Abacus", "AbacusExposition", "AbacusTesting", "AbacusGateway", "AbacusGatewayTesting",
                // Run as processes by ExampleTests: built with the tests.
                "BackupJobExample", "LoadWorkerExample",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "abacusTests",
            dependencies: ["abacus", "AbacusExposition", "AbacusGateway", "AbacusTesting"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
