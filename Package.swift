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
        .library(name: "PolicyStore", targets: ["PolicyStore"]),
        .library(name: "ManagementAPI", targets: ["ManagementAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
        .target(name: "Admission", dependencies: ["SIPCore", "AccessControl"], swiftSettings: strictSwift6),
        // Records, SQLite storage and policy compilation. The only target that speaks SQL.
        .target(
            name: "PolicyStore",
            dependencies: ["AccessControl", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSwift6
        ),
        // The Twilio-compatible REST API. The only target that speaks HTTP.
        .target(
            name: "ManagementAPI",
            dependencies: [
                "PolicyStore",
                "AccessControl",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSwift6
        ),

        .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore"], swiftSettings: strictSwift6),
        .testTarget(name: "AccessControlTests", dependencies: ["AccessControl"], swiftSettings: strictSwift6),
        .testTarget(
            name: "AdmissionTests",
            dependencies: ["Admission", "SIPCore", "AccessControl"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "PolicyStoreTests",
            dependencies: ["PolicyStore", "AccessControl", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "ManagementAPITests",
            dependencies: [
                "ManagementAPI",
                "PolicyStore",
                "AccessControl",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["twilio_client_check.py"],
            swiftSettings: strictSwift6
        ),
    ]
)
