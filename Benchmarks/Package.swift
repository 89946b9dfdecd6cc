// swift-tools-version:6.1
//
// sipfence benchmarks (release builds; never part of the test suite).
// Run: cd Benchmarks && swift package --disable-sandbox benchmark
// See README.md beside this file.

import PackageDescription

let package = Package(
    name: "sipfence-benchmarks",
    dependencies: [
        .package(name: "sipfence", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // libosip2 called directly from C: the baseline the Swift pipeline is measured against.
        .systemLibrary(name: "COSIPBaseline", pkgConfig: "libosip2", providers: [.apt(["libosip2-dev"])]),
        .executableTarget(
            name: "AdmissionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AccessControl", package: "sipfence"),
                .product(name: "SIPCore", package: "sipfence"),
                .product(name: "Admission", package: "sipfence"),
                "COSIPBaseline",
            ],
            path: "Benchmarks/AdmissionBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
