/// A `get` command line the front binary serves itself (docs/INTERFACE.md section 10), or nil
/// for every other command line, which the full binary parses.
///
/// Only the plain forms are taken: `get`, then in any order `--socket PATH`,
/// `--version-id ID` or `--version-stage STAGE`, `--json`, `--refresh`, `--config FILE` (each at most once,
/// `--name VALUE` or `--name=VALUE` with a VALUE), and the two operands CONNECTOR and NAME. Anything else
/// (help, a missing or unknown option, an operand or value that starts with `-`, `--`, both
/// version options, no `--socket`, which needs the configuration read) goes to the full binary,
/// so its usage errors and help stay the only ones. The two parse a plain form the same way.
public struct GetCommandLine: Sendable, Equatable {
    public var socketPath: String
    public var connector: String
    public var name: String
    public var version: SecretFetcher.Version
    public var json: Bool
    public var refresh: Bool

    public init?(_ arguments: some Collection<String>) {
        guard arguments.first == "get" else { return nil }
        var options: [String: String] = [:]
        var json = false
        var refresh = false
        var operands: [String] = []
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            if argument == "--json" {
                guard !json else { return nil }
                json = true
                continue
            }
            if argument == "--refresh" {
                guard !refresh else { return nil }
                refresh = true
                continue
            }
            guard argument.hasPrefix("-") else {
                operands.append(argument)
                continue
            }
            guard let option = PlainOption(argument, rest: &rest), Self.valueOptions.contains(option.name),
                options[option.name] == nil
            else { return nil }
            options[option.name] = option.value
        }
        guard operands.count == 2, let socket = options["--socket"] else { return nil }
        switch (options["--version-id"], options["--version-stage"]) {
        case (nil, nil): version = .current
        case (let id?, nil): version = .id(id)
        case (nil, let stage?): version = .stage(stage)
        default: return nil
        }
        self.socketPath = socket
        self.connector = operands[0]
        self.name = operands[1]
        self.json = json
        self.refresh = refresh
    }

    private static let valueOptions: Set<String> = ["--socket", "--version-id", "--version-stage", "--config"]
}
