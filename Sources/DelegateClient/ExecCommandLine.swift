/// An `exec` command line the front binary serves itself (docs/INTERFACE.md section 10), or nil
/// for every other command line, which the full binary parses.
///
/// Only the plain form is taken: `exec`, then in any order `--socket PATH`, `--config FILE`,
/// `--refresh` (each at most once) and one or more `--env VAR=CONNECTOR:NAME[#KEY]` (`--name VALUE` or
/// `--name=VALUE` with a VALUE), then `--` and the command. Anything else (help, a missing or
/// unknown option, a value that starts with `-`, an operand before `--`, no command, a binding
/// that does not parse, no `--socket`, which needs the configuration read) goes to the full
/// binary, so its usage errors and help stay the only ones. The two run a plain form alike
/// (``EnvironmentExec``).
public struct ExecCommandLine: Sendable, Equatable {
    public var socketPath: String
    public var bindings: [EnvironmentExec.Binding]
    public var command: [String]
    public var refresh: Bool

    public init?(_ arguments: some Collection<String>) {
        guard arguments.first == "exec" else { return nil }
        var socket: String?
        var configuration: String?
        var refresh = false
        var bindings: [EnvironmentExec.Binding] = []
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            if argument == "--" { break }
            if argument == "--refresh" {
                guard !refresh else { return nil }
                refresh = true
                continue
            }
            guard argument.hasPrefix("--"), let option = PlainOption(argument, rest: &rest) else { return nil }
            switch option.name {
            case "--socket":
                guard socket == nil else { return nil }
                socket = option.value
            case "--config":
                guard configuration == nil else { return nil }
                configuration = option.value
            case "--env":
                guard let binding = try? EnvironmentExec.Binding(parsing: option.value) else { return nil }
                bindings.append(binding)
            default:
                return nil
            }
        }
        guard let socket, !bindings.isEmpty, !rest.isEmpty else { return nil }
        self.socketPath = socket
        self.bindings = bindings
        self.command = Array(rest)
        self.refresh = refresh
    }
}
