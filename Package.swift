// swift-tools-version:6.1
//
// sipfence — a SIP INVITE admission filter. See README.md and DESIGN.md.

import PackageDescription

let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sipfence",
    products: [
        .executable(name: "sipfence", targets: ["sipfence"]),
        .library(name: "SIPCore", targets: ["SIPCore"]),
        .library(name: "AccessControl", targets: ["AccessControl"]),
        .library(name: "Admission", targets: ["Admission"]),
        .library(name: "SIPEdge", targets: ["SIPEdge"]),
        .library(name: "PolicyStore", targets: ["PolicyStore"]),
        .library(name: "ManagementAPI", targets: ["ManagementAPI"]),
        .library(name: "SIPLocation", targets: ["SIPLocation"]),
        .library(name: "Capture", targets: ["Capture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // libosip2's parser (Debian: libosip2-dev). Only SIPCore imports it.
        .systemLibrary(
            name: "COSIP",
            pkgConfig: "libosip2",
            providers: [.apt(["libosip2-dev"])]
        ),
        .target(name: "SIPCore", dependencies: ["COSIP"], swiftSettings: strictSwift6),
        // Digest hashes (HA1) live beside the policy that holds them: swift-crypto.
        .target(
            name: "AccessControl", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift6),
        // Stateless digest nonces are HMACs: swift-crypto.
        .target(
            name: "Admission",
            dependencies: ["SIPCore", "AccessControl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift6),
        // Sockets: the only target that opens SIP sockets.
        .target(
            name: "SIPEdge",
            dependencies: [
                "Admission",
                "SIPCore",
                "AccessControl",
                "SIPLocation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        // Records, SQLite storage and policy compilation. The only target that speaks SQL.
        .target(
            name: "PolicyStore",
            dependencies: [
                "AccessControl",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        // The Twilio-compatible REST API. The only target that speaks HTTP. Admission for
        // the node's flood bans (`/sipfence/v1/bans`).
        .target(
            name: "ManagementAPI",
            dependencies: [
                "PolicyStore",
                "AccessControl",
                "Admission",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSwift6
        ),
        // c-ares (Debian: libc-ares-dev). Only SIPLocation imports it.
        .systemLibrary(
            name: "CCAres",
            pkgConfig: "libcares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        // glibc's mallopt(3), for the daemon's memory settings.
        .systemLibrary(name: "CMalloc"),
        // RFC 3263 server location (SRV, A, AAAA) through c-ares, with a TTL cache.
        .target(name: "SIPLocation", dependencies: ["CCAres", "AccessControl", "SIPCore"], swiftSettings: strictSwift6),
        // pcap/pcapng reading, IP reassembly, TCP streams. Addresses are AccessControl's.
        .target(name: "Capture", dependencies: ["AccessControl"], swiftSettings: strictSwift6),
        // The daemon and its tools.
        .executableTarget(
            name: "sipfence",
            dependencies: [
                "SIPEdge",
                "Admission",
                "SIPCore",
                "AccessControl",
                "PolicyStore",
                "ManagementAPI",
                "Capture",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // YAML for the configuration and policy export; policy files are read event
                // by event with Yams' own libyaml module (CYaml), which Yams offers no API for.
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift6
        ),

        // What several test targets share: the seeded generator of the randomised tests.
        .target(
            name: "TestSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], path: "Tests/TestSupport",
            swiftSettings: strictSwift6),
        // The stores the store and API suites run on (SQLite or PostgreSQL).
        .target(
            name: "StoreTestSupport", dependencies: ["PolicyStore", "AccessControl", "TestSupport"],
            path: "Tests/StoreTestSupport", swiftSettings: strictSwift6),
        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore", "TestSupport"], swiftSettings: strictSwift6),
        .testTarget(name: "AccessControlTests", dependencies: ["AccessControl", "TestSupport"], swiftSettings: strictSwift6),
        .testTarget(
            name: "AdmissionTests",
            dependencies: ["Admission", "SIPCore", "AccessControl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "SIPEdgeTests",
            dependencies: [
                "SIPEdge", "Admission", "SIPCore", "AccessControl", "SIPLocation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "PolicyStoreTests",
            dependencies: [
                "PolicyStore", "AccessControl", "TestSupport", "StoreTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "ManagementAPITests",
            dependencies: [
                "ManagementAPI",
                "Admission",
                "SIPCore",
                "PolicyStore",
                "AccessControl",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                "TestSupport",
                "StoreTestSupport",
            ],
            exclude: ["twilio_client_check.py"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "CaptureTests", dependencies: ["Capture", "AccessControl", "TestSupport"], exclude: ["Captures"],
            swiftSettings: strictSwift6
        ),
        // Starts a real DNS server (Debian's dnsmasq) on a loopback port.
        .testTarget(
            name: "SIPLocationTests", dependencies: ["SIPLocation", "SIPCore", "AccessControl", "TestSupport"],
            swiftSettings: strictSwift6),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "sipfence", "Admission", "SIPCore", "SIPEdge", "AccessControl", "Capture", "PolicyStore", "TestSupport",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSwift6
        ),
        // Real processes: the sipfence binary, Kamailio and sipp, on loopback.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["sipfence", "Capture", "TestSupport"],
            exclude: ["Peers"],
            swiftSettings: strictSwift6
        ),
    ]
)
