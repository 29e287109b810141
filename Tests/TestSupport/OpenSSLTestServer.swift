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
    private let process: Process

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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_server", "-www", "-accept", "127.0.0.1:0", "-cert", certificatePath, "-key", keyPath,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process

        // s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
        var text = ""
        var found: Int?
        while found == nil {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // EOF: the server died
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            {
                found = port
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw StartError(description: "openssl s_server did not start: \(text)")
        }
        port = found
        baseURL = "https://127.0.0.1:\(found)"
    }

    deinit {
        stop()
    }

    public func stop() {
        // SIGKILL, not terminate(): the child inherits the test runner's signal mask, in which
        // SIGTERM may be blocked, and would then never exit.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StartError(description: "openssl \(arguments.first ?? "") failed (\(process.terminationStatus))")
        }
    }
}
