// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for secrets-delegate's parsers (issue 15). Not part of the main build:
/// `scripts/fuzz.sh` (`make fuzz`, `make fuzz-smoke`) builds this package with
/// `-sanitize=fuzzer -parse-as-library -enable-testing` into `.build-fuzz` and runs each target.
/// Each executable defines `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`.
let modules: Target.Dependency = .product(name: "SecretsDelegateModules", package: "secrets-delegate")

let package = Package(
    name: "secrets-delegate-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "secrets-delegate", path: "..")
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzTaskDecoder", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzConfigLoader", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzSigV4", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzAWSResponses", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzLineFramer", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzSmallParsers", dependencies: ["FuzzSupport", modules]),
        .executableTarget(name: "FuzzSealedResult", dependencies: ["FuzzSupport", modules]),
    ]
)
