/// The command line's exit statuses (docs/INTERFACE.md section 7; sysexits.h numbering).
public enum ExitStatus {
    public static let success: Int32 = 0
    /// The task failed or was rejected.
    public static let taskFailed: Int32 = 1
    public static let usage: Int32 = 64
    /// The delegate could not be reached (socket, spool, or no result in time).
    public static let unavailable: Int32 = 69
    public static let configuration: Int32 = 78
}

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
