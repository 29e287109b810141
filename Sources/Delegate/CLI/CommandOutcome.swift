import DelegateClient
import SafeText
import TaskQueue

/// The exit statuses, in the module every command line needs (the `get` front binary too).
public typealias ExitStatus = DelegateClient.ExitStatus

/// What a CLI command produced: text for stdout, text for stderr, and the exit status.
public struct CommandOutcome: Sendable, Equatable {
    public var output: String
    public var errorOutput: String
    public var status: Int32
    /// A spool result `submit --wait` read and printed: deleted once the output is written, and
    /// kept when stdout refused it, so that the only copy is not lost with it.
    public var collectedResult: CollectedSpoolResult?

    public init(output: String = "", errorOutput: String = "", status: Int32) {
        self.output = output
        self.errorOutput = errorOutput
        self.status = status
    }

    /// `done/<id>.json` in the spool at `directory`.
    public struct CollectedSpoolResult: Sendable, Equatable {
        public var directory: String
        public var id: String
    }

    /// Writes the output (and a newline) to stdout, then the error text to stderr; the exit status,
    /// 74 when stdout refused the output (a full disk, a write error). The output may be the only
    /// copy of what it holds (an opened result, a result taken from its queue), so losing it is no
    /// success. A closed pipe stops the process with SIGPIPE first, as for `get`.
    public func emit() -> Int32 {
        let emitted = FileDescriptorWriter.emit(
            output: output.isEmpty ? [] : Array((output + "\n").utf8), errorOutput: errorOutput, status: status,
            what: nil)
        guard let collectedResult else { return emitted }
        let note: String
        if emitted == ExitStatus.ioError, status != ExitStatus.ioError {
            note = "the result stays in \(collectedResult.directory)/done/\(collectedResult.id).json"
        } else {
            do {
                try SpoolProducer(directory: collectedResult.directory).removeResult(id: collectedResult.id)
                return emitted
            } catch {
                note = "warning: the result printed could not be deleted: \(error)"
            }
        }
        _ = FileDescriptorWriter.emit(output: [], errorOutput: Self.errorLine(note), status: emitted, what: nil)
        return emitted
    }

    /// The one line a failed command writes to stderr: its message quotes what others chose (an
    /// endpoint's error, a path, a peer's answer), shown as ``ShownText`` shows it, never written
    /// to the terminal as it came.
    public static func failure(_ message: String, status: Int32) -> CommandOutcome {
        CommandOutcome(errorOutput: errorLine(message), status: status)
    }

    /// `secrets-delegate: ` and `message`, shown as ``ShownText`` shows it: the form of every line
    /// a command writes to stderr.
    static func errorLine(_ message: String) -> String {
        "secrets-delegate: " + ShownText.escaped(message)
    }

    /// This outcome with `message` (a warning) as one more stderr line: before the lines it has
    /// when `first`, else after them. Its output and status stay as they are.
    func adding(_ message: String, first: Bool = false) -> CommandOutcome {
        var warned = self
        let line = Self.errorLine(message)
        warned.errorOutput =
            errorOutput.isEmpty ? line : first ? line + "\n" + errorOutput : errorOutput + "\n" + line
        return warned
    }
}
