import Foundation

/// Executables that tests write (copies of the built binaries, stand-in scripts) and run.
///
/// Tests run in parallel in one process: a child another test starts while a file is open for
/// writing inherits that descriptor until its `execve`, and running the file meanwhile fails with
/// ETXTBSY ("Text file busy"). So files are written through a close-on-exec descriptor, and
/// ``run(_:_:environment:)`` tries again while the kernel still says busy.
public enum TestExecutable {
    /// Writes `contents` to `path` with mode 0755.
    public static func write(_ contents: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let failed = contents.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return fchmod(fd, 0o755) == 0 ? nil : errno
        }
        if let failed { throw POSIXError(POSIXErrorCode(rawValue: failed) ?? .EIO) }
    }

    /// Copies the executable at `source` to `path`.
    public static func copy(_ source: String, to path: String) throws {
        try write(try Data(contentsOf: URL(fileURLWithPath: source)), to: path)
    }

    /// ``ChildProcess/run(_:_:environment:input:timeout:)``, tried again (for up to 5 s) while it
    /// cannot start for ETXTBSY, or a shell it started says so.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = ["PATH": "/usr/bin:/bin"]
    ) async throws -> ChildProcess.Outcome {
        for _ in 0..<100 {
            do {
                let outcome = try await ChildProcess.run(executable, arguments, environment: environment)
                guard outcome.termination != .exited(0), outcome.errorOutput.contains("Text file busy") else { return outcome }
            } catch where "\(error)".contains("Text file busy") {}
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await ChildProcess.run(executable, arguments, environment: environment)
    }
}
