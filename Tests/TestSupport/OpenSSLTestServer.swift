import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TLS server for tests: a self-signed certificate for 127.0.0.1/localhost made with the
/// `openssl` CLI in a private temp dir, served by `openssl s_server -www` on a free loopback
/// port. `stop()` (or deinit) kills the subprocess and removes the files.
///
/// `@unchecked Sendable`: everything is immutable after `init` except the child process,
/// which is only killed and reaped (`stop()` is meant to be called once, by the owning test).
public final class OpenSSLTestServer: @unchecked Sendable {
    /// `https://127.0.0.1:<port>`.
    public let baseURL: String
    public let port: Int
    /// PEM file of the self-signed certificate: use it as a client's CA file to trust the server.
    public let certificatePath: String
    private let directory: TemporaryDirectory
    private let process: ChildProcess

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter subjectAltName: what the certificate covers, in `openssl -addext` syntax.
    public init(subjectAltName: String = "IP:127.0.0.1,DNS:localhost") throws {
        directory = try TemporaryDirectory(prefix: "openssl-test-server")
        certificatePath = directory.path("cert.pem")
        let keyPath = directory.path("key.pem")
        try Self.run([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certificatePath,
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=\(subjectAltName)",
        ])

        let outputPath = directory.path("s_server.out")
        let process = try ChildProcess(
            executable: "/usr/bin/openssl",
            arguments: ["s_server", "-www", "-accept", "127.0.0.1:0", "-cert", certificatePath, "-key", keyPath],
            stdout: .file(outputPath))
        self.process = process

        // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
        var text = ""
        var found: Int?
        let deadline = ContinuousClock.now + .seconds(90)
        while found == nil, process.isRunning, ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            {
                found = port
            } else {
                usleep(10_000)
            }
        }
        guard let found else {
            process.signal(SIGKILL)
            throw StartError(description: "openssl s_server did not start: \(text)")
        }
        port = found
        baseURL = "https://127.0.0.1:\(found)"
    }

    deinit {
        stop()
    }

    public func stop() {
        process.signal(SIGKILL)
        _ = try? process.waitForExitBlocking(timeout: .seconds(10))
    }

    private static func run(_ arguments: [String]) throws {
        let outcome = try ChildProcess.runBlocking("/usr/bin/openssl", arguments)
        guard outcome.termination == .exited(0) else {
            throw StartError(description: "openssl \(arguments.first ?? "") \(outcome.termination)")
        }
    }
}
