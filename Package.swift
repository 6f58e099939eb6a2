// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "ctwatch",
    products: [
        .executable(name: "ctwatch", targets: ["ctwatch"]),
        .library(name: "Conntrack", targets: ["Conntrack"]),
        .library(name: "CTWatchCore", targets: ["CTWatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // libnetfilter_conntrack and libmnl, with static inline helpers for
        // what Swift cannot import. Only Conntrack/Internal imports it.
        .systemLibrary(
            name: "CNetfilterConntrack",
            pkgConfig: "libnetfilter_conntrack",
            providers: [.apt(["libnetfilter-conntrack-dev", "libmnl-dev"])]
        ),
        // Typed bindings: flows, dumps, events, statistics, namespaces.
        .target(name: "Conntrack", dependencies: ["CNetfilterConntrack"]),
        // What ctwatch does with them: filters, formatting, stuck detection,
        // Kubernetes attribution, doctor. Computes and returns values; never
        // writes stderr, handles signals, exits or calls the system (the
        // front end reads files; this decodes their bytes).
        .target(name: "CTWatchCore", dependencies: ["Conntrack"]),
        // The command line, a thin layer over CTWatchCore: options, and in
        // Frontend/ everything that touches the process (output and stderr,
        // signals and shutdown, the run loops, reading --pods/--services
        // files), its system calls all in Frontend/Syscalls.swift.
        .executableTarget(
            name: "ctwatch",
            dependencies: [
                "CTWatchCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["Conntrack", "CTWatchCore"], path: "Tests/TestSupport"),
        .testTarget(
            name: "ConntrackTests", dependencies: ["Conntrack", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "CTWatchCoreTests",
            dependencies: ["CTWatchCore", "Conntrack", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // The front end's own pieces (reading --pods/--services files), tested
        // in process: SwiftPM links an executable target into its tests.
        .testTarget(name: "CTWatchCLITests", dependencies: ["ctwatch", "CTWatchCore", "Conntrack", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Conntrack", "CTWatchCore", "TestSupport"]),
    ]
)
