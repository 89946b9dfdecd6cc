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
        .library(name: "SIPCore", targets: ["SIPCore"]),
        .library(name: "AccessControl", targets: ["AccessControl"]),
        .library(name: "Admission", targets: ["Admission"]),
        .library(name: "SIPEdge", targets: ["SIPEdge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libosip2's parser (Debian: libosip2-dev). Only SIPCore imports it.
        .systemLibrary(
            name: "COSIP",
            pkgConfig: "libosip2",
            providers: [.apt(["libosip2-dev"])]
        ),
        .target(name: "SIPCore", dependencies: ["COSIP"], swiftSettings: strictSwift6),
        .target(name: "AccessControl", swiftSettings: strictSwift6),
        .target(name: "Capture", swiftSettings: strictSwift6),
        .target(name: "Admission", dependencies: ["SIPCore", "AccessControl"], swiftSettings: strictSwift6),
        .target(
            name: "SIPEdge",
            dependencies: [
                "Admission",
                "SIPCore",
                "AccessControl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),

        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore"], swiftSettings: strictSwift6),
        .testTarget(name: "AccessControlTests", dependencies: ["AccessControl"], swiftSettings: strictSwift6),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture"],
            exclude: ["Captures"],  // read by path: the files are not resources
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "SIPEdgeTests",
            dependencies: [
                "SIPEdge", "Admission", "SIPCore", "AccessControl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "AdmissionTests",
            dependencies: ["Admission", "SIPCore", "AccessControl"],
            swiftSettings: strictSwift6
        ),
    ]
)
