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
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libnetfilter_conntrack and libmnl, with static inline helpers for
        // what Swift cannot import and the ctnetlink entry decoder. Only
        // Conntrack/Internal imports it (and, in the tests, TestSupport's
        // LibraryReference, which the decoder is held to).
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
        // libyaml's parser, for kubeconfig files. Only KubernetesClient/Internal
        // imports it.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // The Kubernetes API as a source of pods, Services, EndpointSlices and
        // the node: kubeconfig and in-cluster configuration, credentials, and
        // list-then-watch over HTTPS. Reads files, runs credential plugins and
        // talks to the network; like the rest of the library it never writes
        // stderr, handles signals or exits: it returns values and errors.
        .target(
            name: "KubernetesClient",
            dependencies: [
                "CTWatchCore", "CYAML",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // What a long-running ctwatch shows Prometheus: its metrics, and the
        // small HTTP server of --metrics-address (SwiftNIO, its own threads).
        .target(
            name: "CTWatchMetrics",
            dependencies: [
                "CTWatchCore", "Conntrack",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The command line, a thin layer over CTWatchCore: options, and in
        // Frontend/ everything that touches the process (output and stderr,
        // signals and shutdown, the run loops, reading --pods/--services
        // files), its system calls all in Frontend/Syscalls.swift.
        .executableTarget(
            name: "ctwatch",
            dependencies: [
                "CTWatchCore",
                "CTWatchMetrics",
                "KubernetesClient",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TestSupport", dependencies: ["Conntrack", "CTWatchCore", "CNetfilterConntrack"],
            path: "Tests/TestSupport"),
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
        .testTarget(
            name: "KubernetesClientTests", dependencies: ["KubernetesClient", "CTWatchCore", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests", dependencies: ["Conntrack", "CTWatchCore", "KubernetesClient", "TestSupport"]),
        .testTarget(
            name: "CTWatchMetricsTests", dependencies: ["CTWatchMetrics", "CTWatchCore", "Conntrack", "TestSupport"]),
    ]
)
