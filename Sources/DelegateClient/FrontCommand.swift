internal import CLinuxShim
import Glibc
import SafeText

/// The `secrets-delegate` front binary (docs/INTERFACE.md section 10): a plain
/// `get --socket PATH` or `exec --socket PATH` command line (``GetCommandLine``,
/// ``ExecCommandLine``) is served here, by a process that starts in about 2 ms (the full binary
/// takes about 8); every other command line replaces the process with the full binary
/// (``FullBinary``), arguments and environment unchanged.
public enum FrontCommand {
    public static func main(_ arguments: [String]) -> Never {
        StandardStreams.keepOpen()
        // An argument that is not UTF-8 (but for exec's command) reached `arguments` repaired:
        // the full binary, which gets the bytes, refuses it.
        let readable = ProcessArguments.notUTF8Problem() == nil
        if readable, let command = GetCommandLine(arguments.dropFirst()) { exit(get(command)) }
        if readable, let command = ExecCommandLine(arguments.dropFirst()) { exit(exec(command)) }
        // `run` (the unit's ExecStart): SIGHUP is held from here on, across the exec, so that a
        // reload asked for while the delegate starts waits for it (the full binary holds it too).
        if arguments.dropFirst().first == "run" { holdReloadSignal() }
        let (path, number) = FullBinary.execute()
        FileDescriptorWriter.writeAll(2, Array(cannotRunLine(path, errno: number).utf8))
        exit(ExitStatus.unavailable)
    }

    /// The line said when the full binary cannot be run: its path escaped as every error line's
    /// quoted text is (a directory the binary was copied to may hold a newline or a terminal's
    /// escape), so the line stays one.
    static func cannotRunLine(_ path: String, errno number: Int32) -> String {
        "secrets-delegate: cannot run \(ShownText.escaped(path)): \(String(cString: strerror(number)))\n"
    }

    /// `get`, as the full binary runs it: not dumpable first, then the value (or the result line)
    /// to stdout, or one line to stderr; the exit status.
    static func get(_ command: GetCommandLine) -> Int32 {
        if let refusal = protect() { return refusal }
        return SecretFetcher(socketPath: command.socketPath, refresh: command.refresh)
            .get(connector: command.connector, name: command.name, version: command.version, json: command.json)
            .emit()
    }

    /// `exec`, as the full binary runs it: not dumpable first, then the command in this process's
    /// place; if it cannot be run, one line to stderr and the exit status.
    static func exec(_ command: ExecCommandLine) -> Int32 {
        if let refusal = protect() { return refusal }
        let failure = EnvironmentExec(
            getter: SecretFetcher(socketPath: command.socketPath, refresh: command.refresh), bindings: command.bindings,
            command: ProcessArguments.trailing(command.command), environment: EnvironmentExec.processEnvironment()
        ).run()
        FileDescriptorWriter.writeAll(2, Array("secrets-delegate: \(failure)\n".utf8))
        return failure.status
    }

    /// Blocks SIGHUP; a blocked signal stays blocked across `execve`, and one that arrives waits.
    public static func holdReloadSignal() {
        var reload = sigset_t()
        sigemptyset(&reload)
        sigaddset(&reload, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &reload, nil)
    }

    /// Makes the process non-dumpable, as the full binary's secret-holding commands do first; the
    /// exit status and its line on stderr if that fails.
    private static func protect() -> Int32? {
        guard clinuxshim_set_dumpable(0) == 0 else {
            // The full binary's text for the same refusal (SecretHoldingCommand, with Systemd's
            // ProcessSettingError), which this binary cannot link.
            let reason = "dumpable: could not make the process non-dumpable (errno \(errno))"
            FileDescriptorWriter.writeAll(
                2, Array("secrets-delegate: cannot keep secrets out of core dumps: \(reason)\n".utf8))
            return ExitStatus.unavailable
        }
        return nil
    }
}
