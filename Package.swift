// swift-tools-version:6.1
import PackageDescription

/// secrets-delegate: a host agent for AWS Secrets Manager.
///
/// Module layout (one folder per concern):
/// - `CCurl`, `CCurlShim`, `COpenSSL`, `CSystemd`, `CLinuxShim`: C bindings, never visible in public API.
/// - `FileNames`: the portable file name rule `[A-Za-z0-9._-]` for ids that name files.
/// - `SafeText`: text from elsewhere shown in one line, with nothing a terminal or a reader would
///   take for something else (no dependencies).
/// - `UTCTime`: epoch time as UTC calendar fields and back, ISO 8601 (no dependencies).
/// - `JSON`: the JSON value, its one-pass parser and its writer (no dependencies).
/// - `SigV4`: pure request signing (depends only on hashing and `UTCTime`).
/// - `Sealing`: RFC 9180 HPKE for sealed results (depends only on libcrypto).
/// - `HTTP`: the libcurl client behind the `HTTPClient` protocol.
/// - `AWSCore`: signed AWS calls, retries, error decoding, clock skew.
/// - `AWSCredentials`: access keys by reference, environment, IMDSv2, STS AssumeRole, caching.
/// - `SecretsManager`: the Secrets Manager operations.
/// - `SQS`: the Amazon SQS operations the fleet queue needs (AWS JSON 1.0).
/// - `TaskQueue`: the spool directory and the Unix socket.
/// - `Delegate`: configuration, task model, selection, execution, the daemon.
/// - `Systemd`: sd_notify, the journal log handler, socket activation, and the process settings a
///   service sets on itself (not dumpable, open file limit).
/// - `LineSocket`: a blocking client of a Unix socket that speaks lines (C library only).
/// - `DelegateClient`: `get` through the delegate's socket, and the front binary's logic (no
///   Foundation, so the front starts fast).
/// - `secrets-delegate`: the front executable (`/usr/bin`): serves `get --socket`, else becomes
///   `secrets-delegated`.
/// - `secrets-delegated`: the full executable (`/usr/libexec/secrets-delegate`; argument parsing
///   only).
let package = Package(
    name: "secrets-delegate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "secrets-delegate", targets: ["secrets-delegate"]),
        .executable(name: "secrets-delegated", targets: ["secrets-delegated"]),
        // For the fuzz package (Fuzz/, `make fuzz`), which depends on this one by path and can
        // only reach its modules through a library product. Not a supported API.
        .library(
            name: "SecretsDelegateModules",
            targets: [
                "SigV4", "HTTP", "JSON", "AWSCore", "AWSCredentials", "SQS", "TaskQueue", "Sealing", "SecretsManager",
                "Delegate",
            ]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // 0.6.x only: tests hold toml++'s wording, and the pasted-secret shortening relies on its quoting.
        .package(url: "https://github.com/LebJe/TOMLKit.git", .upToNextMinor(from: "0.6.0")),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        // MARK: C bindings
        // libcurl's headers (libcurl4-openssl-dev); the library itself is opened at run time.
        .systemLibrary(name: "CCurl"),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(name: "CLinuxShim"),

        // MARK: Libraries
        .target(name: "UTCTime"),
        .target(name: "JSON"),
        .target(name: "FileNames"),
        .target(name: "SafeText"),
        .target(name: "LineSocket"),
        .target(name: "DelegateClient", dependencies: ["JSON", "LineSocket", "CLinuxShim", "SafeText"]),
        .target(name: "SigV4", dependencies: ["COpenSSL", "UTCTime"]),
        .target(name: "Sealing", dependencies: ["COpenSSL"]),
        .target(
            name: "HTTP",
            dependencies: [
                "CCurl", "CCurlShim", "CLinuxShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "AWSCore",
            dependencies: [
                "SigV4", "HTTP", "UTCTime", "JSON",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "AWSCredentials",
            dependencies: [
                "AWSCore", "SigV4", "HTTP", "FileNames",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SecretsManager",
            dependencies: [
                "AWSCore", "SigV4", "HTTP", "JSON", "SafeText",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SQS",
            dependencies: [
                "AWSCore", "SigV4", "HTTP", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TaskQueue",
            dependencies: [
                "CLinuxShim", "FileNames", "JSON", "LineSocket",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd", "CLinuxShim", "UTCTime", "SafeText",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Delegate",
            dependencies: [
                "AWSCore", "AWSCredentials", "SecretsManager", "SQS", "HTTP", "SigV4", "TaskQueue", "Systemd", "Sealing",
                "FileNames", "JSON", "DelegateClient", "SafeText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(name: "secrets-delegate", dependencies: ["DelegateClient"]),
        .executableTarget(
            name: "secrets-delegated",
            dependencies: [
                "Delegate", "DelegateClient", "LineSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Benchmarks (make bench; not part of the product)
        .executableTarget(name: "SigV4Bench", dependencies: ["SigV4"], path: "Benchmarks/SigV4Bench"),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: [
                "HTTP", "SigV4", "AWSCore", "LineSocket",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        // The strict IMDSv2 server as a process, for the booted-systemd tier (Tests/Booted/run.sh).
        .executableTarget(name: "IMDSEmulator", dependencies: ["TestSupport", "SigV4"], path: "Tests/IMDSEmulator"),
        .testTarget(name: "UTCTimeTests", dependencies: ["UTCTime"]),
        .testTarget(name: "FileNamesTests", dependencies: ["FileNames"]),
        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),
        .testTarget(name: "LineSocketTests", dependencies: ["LineSocket", "TestSupport"]),
        .testTarget(name: "DelegateClientTests", dependencies: ["DelegateClient", "LineSocket", "JSON", "TestSupport"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SealingTests", dependencies: ["Sealing", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "AWSCoreTests", dependencies: ["AWSCore", "TestSupport"]),
        .testTarget(name: "AWSCredentialsTests", dependencies: ["AWSCredentials", "SecretsManager", "TestSupport"]),
        .testTarget(
            name: "SecretsManagerTests", dependencies: ["SecretsManager", "AWSCore", "AWSCredentials", "TestSupport"]),
        .testTarget(name: "SQSTests", dependencies: ["SQS", "AWSCore", "SigV4", "TestSupport"]),
        .testTarget(name: "TaskQueueTests", dependencies: ["TaskQueue", "TestSupport"]),
        .testTarget(
            name: "DelegateTests",
            dependencies: [
                "Delegate", "DelegateClient", "LineSocket", "JSON", "SecretsManager", "SQS", "AWSCore", "AWSCredentials",
                "Sealing", "TaskQueue", "TestSupport",
            ]),
        // Tests that run the built `secrets-delegate` binary as a child process (DaemonProcess,
        // ChildProcess); everything else drives the modules in-process.
        .testTarget(
            name: "DelegateEndToEndTests",
            dependencies: [
                "Delegate", "DelegateClient", "SecretsManager", "SQS", "AWSCore", "SigV4", "HTTP", "Sealing", "TaskQueue",
                "Systemd", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "CLinuxShim", "TestSupport"]),
    ]
)

// The shipped modules see the members of the modules they import themselves, never those of a
// module some dependency imports: TOMLKit imports Foundation, which made Foundation's
// `StringProtocol.contains` win over the standard library's in `Delegate` and linked all of
// Foundation, CoreFoundation and ICU into the daemon (more resident memory, slower start).
let cTargets: Set<String> = ["CCurl", "CCurlShim", "COpenSSL", "CSystemd", "CLinuxShim"]
for target in package.targets where target.type == .regular || target.type == .executable {
    guard !cTargets.contains(target.name), target.path?.hasPrefix("Tests") != true else { continue }
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
