import DelegateClient

/// The exit statuses, in the module every command line needs (the `get` front binary too).
public typealias ExitStatus = DelegateClient.ExitStatus

/// What a CLI command produced: text for stdout, text for stderr, and the exit status.
public struct CommandOutcome: Sendable, Equatable {
    public var output: String
    public var errorOutput: String
    public var status: Int32

    public init(output: String = "", errorOutput: String = "", status: Int32) {
        self.output = output
        self.errorOutput = errorOutput
        self.status = status
    }

    static func failure(_ message: String, status: Int32) -> CommandOutcome {
        CommandOutcome(errorOutput: "secrets-delegate: \(message)", status: status)
    }
}
