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
        .executable(name: "abacus", targets: ["abacus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // The data model and every wire format. Pure: no I/O, no networking.
        .target(
            name: "AbacusExposition",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protobuf/metrics.proto"],
            swiftSettings: strict
        ),
        // The `abacus` command line: a thin layer of ArgumentParser commands over the libraries.
        .executableTarget(
            name: "abacus",
            dependencies: [
                "AbacusExposition",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AbacusExpositionTests",
            dependencies: ["AbacusExposition"],
            // Read from the source tree by path (TestFiles), so they can be regenerated in place.
            exclude: ["Golden", "Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "abacusTests",
            dependencies: ["abacus", "AbacusExposition"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
