internal import CLinuxShim
import Glibc

/// The `secrets-delegate` front binary (docs/INTERFACE.md section 10): a plain
/// `get --socket PATH` command line (``GetCommandLine``) is served here, by a process that
/// starts in about 2 ms (the full binary takes about 8); every other command line replaces the
/// process with the full binary (``FullBinary``), arguments and environment unchanged.
public enum FrontCommand {
    public static func main(_ arguments: [String]) -> Never {
        if let command = GetCommandLine(arguments.dropFirst()) { exit(get(command)) }
        let (path, number) = FullBinary.execute()
        FileDescriptorWriter.writeAll(2, Array("secrets-delegate: cannot run \(path): \(String(cString: strerror(number)))\n".utf8))
        exit(ExitStatus.unavailable)
    }

    /// `get`, as the full binary runs it: not dumpable first, then the value (or the result line)
    /// to stdout, or one line to stderr; the exit status.
    static func get(_ command: GetCommandLine) -> Int32 {
        guard clinuxshim_set_dumpable(0) == 0 else {
            // The full binary's text for the same refusal (SecretHoldingCommand, with Systemd's
            // ProcessSettingError), which this binary cannot link.
            let reason = "dumpable: could not make the process non-dumpable (errno \(errno))"
            FileDescriptorWriter.writeAll(2, Array("secrets-delegate: cannot keep secrets out of core dumps: \(reason)\n".utf8))
            return ExitStatus.unavailable
        }
        return SecretFetcher(socketPath: command.socketPath)
            .get(connector: command.connector, name: command.name, version: command.version, json: command.json)
            .emit()
    }
}
