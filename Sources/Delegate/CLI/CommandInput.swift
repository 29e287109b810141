import FoundationEssentials
import Glibc

/// The input of `submit` and `open`: the file at a path (whatever a shell can name: a pipe,
/// `/dev/stdin`, a process substitution), or standard input for `-`, read to its end but never
/// past a limit, so that an endless pipe or a large file is refused once it is too long rather
/// than read whole into memory.
public enum CommandInput {
    /// Why the input cannot be used, for the command's usage error (exit 64).
    public struct Failure: Error, Equatable {
        public var message: String
    }

    /// The bytes at `path` (`-`: standard input), at most `limit` of them.
    ///
    /// - Parameter what: what the input must be, for the message when it is too long ("a task").
    public static func read(_ path: String, limit: Int, what: String) -> Result<Data, Failure> {
        let source = path == "-" ? "standard input" : path
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            return .failure(Failure(message: "cannot read \(source): \(RegularFile.describe(errno))"))
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        switch RegularFile.readToEnd(fd, limit: limit) {
        case .failure(let failure):
            let reason = if case .system(let number) = failure { RegularFile.describe(number) } else { "\(failure)" }
            return .failure(Failure(message: "cannot read \(source): \(reason)"))
        case .success(let bytes) where bytes.count > limit:
            return .failure(Failure(message: "\(source) holds more than \(limit) bytes; \(what) is at most \(limit)"))
        case .success(let bytes):
            return .success(Data(bytes))
        }
    }
}
