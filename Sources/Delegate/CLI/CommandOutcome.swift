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

    /// Writes the output (and a newline) to stdout, then the error text to stderr; the exit status,
    /// 74 when stdout refused the output (a full disk, a write error). The output may be the only
    /// copy of what it holds (an opened result, a result taken from its queue), so losing it is no
    /// success. A closed pipe stops the process with SIGPIPE first, as for `get`.
    public func emit() -> Int32 {
        FileDescriptorWriter.emit(
            output: output.isEmpty ? [] : Array((output + "\n").utf8), errorOutput: errorOutput, status: status,
            what: nil)
    }

    static func failure(_ message: String, status: Int32) -> CommandOutcome {
        CommandOutcome(errorOutput: "secrets-delegate: \(message)", status: status)
    }
}
