// swift-tools-version:6.1
//
// sipfence's libFuzzer targets: a separate package, never part of the root build.
// Build and run them with scripts/fuzz.sh (see README.md beside this file); the
// sanitizers (-sanitize=fuzzer,address) are passed on the command line so that the
// root package's libraries are instrumented for coverage too, not only the harnesses.

import PackageDescription

let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// A fuzz target: `LLVMFuzzerTestOneInput` and a `main` that runs libFuzzer's driver on it.
func fuzzTarget(_ name: String, dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: dependencies + ["CLibFuzzer"],
        swiftSettings: strictSwift6 + [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "sipfence-fuzz",
    products: [
        .executable(name: "AdmissionDatagramFuzz", targets: ["AdmissionDatagramFuzz"]),
        .executable(name: "StreamFramingFuzz", targets: ["StreamFramingFuzz"]),
        .executable(name: "CaptureReaderFuzz", targets: ["CaptureReaderFuzz"]),
    ],
    dependencies: [
        .package(name: "sipfence", path: "..")
    ],
    targets: [
        // libFuzzer's driver (linked by -sanitize=fuzzer), for the targets' entry points.
        .systemLibrary(name: "CLibFuzzer"),
        // The fixed world the SIP targets decide in, and the seeds only its keys can make.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "SIPCore", package: "sipfence"),
                .product(name: "AccessControl", package: "sipfence"),
                .product(name: "Admission", package: "sipfence"),
            ],
            swiftSettings: strictSwift6
        ),
        fuzzTarget(
            "AdmissionDatagramFuzz",
            dependencies: [
                "FuzzSupport",
                .product(name: "SIPCore", package: "sipfence"),
                .product(name: "Admission", package: "sipfence"),
            ]),
        fuzzTarget(
            "StreamFramingFuzz",
            dependencies: [
                "FuzzSupport",
                .product(name: "SIPCore", package: "sipfence"),
                .product(name: "Admission", package: "sipfence"),
            ]),
        fuzzTarget("CaptureReaderFuzz", dependencies: [.product(name: "Capture", package: "sipfence")]),
    ]
)
