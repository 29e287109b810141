internal import CLinuxShim
import Glibc

/// The `secrets-delegate` front binary (docs/INTERFACE.md section 10): a plain
/// `get --socket PATH` command line (``GetCommandLine``) is served here, by a process that
/// starts in about a millisecond; every other command line replaces the process with the full
/// binary (``FullBinary``), arguments and environment unchanged.
public enum FrontCommand {
    public static func main(_ arguments: [String]) -> Never {
        if let command = GetCommandLine(arguments.dropFirst()) { exit(get(command)) }
        let (path, number) = FullBinary.execute(arguments)
        writeAll(2, Array("secrets-delegate: cannot run \(path): \(String(cString: strerror(number)))\n".utf8))
        exit(ExitStatus.unavailable)
    }

    /// `get`, as the full binary runs it: not dumpable first, then the value (or the result line)
    /// to stdout, or one line to stderr; the exit status.
    static func get(_ command: GetCommandLine) -> Int32 {
        guard clinuxshim_set_dumpable(0) == 0 else {
            let reason = String(cString: strerror(errno))
            writeAll(2, Array("secrets-delegate: cannot keep secrets out of core dumps: \(reason)\n".utf8))
            return ExitStatus.unavailable
        }
        let outcome = SecretFetcher(socketPath: command.socketPath)
            .get(connector: command.connector, name: command.name, version: command.version, json: command.json)
        if !outcome.output.isEmpty { writeAll(1, outcome.output) }
        if !outcome.errorOutput.isEmpty { writeAll(2, Array((outcome.errorOutput + "\n").utf8)) }
        return outcome.status
    }

    /// Writes all of `bytes` to `fd`, as far as it takes them.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
