import Glibc
import SafeText

/// This process's arguments as the kernel gave them: bytes, which need not be UTF-8. Swift's
/// `CommandLine.arguments` repairs what is not UTF-8 (each bad byte becomes U+FFFD), and `exec`
/// must hand its command the arguments it was given, byte for byte (a file name in Latin-1, say).
public enum ProcessArguments {
    /// `argv`, entry by entry, byte for byte.
    public static func current() -> [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
        }
    }

    /// The bytes of `command`, which the parser took from the end of `argv` (everything after
    /// `--`): the last `command.count` entries of `argv` when each reads as its word of `command`,
    /// as the parser read it; else (a command that did not come from `argv`) `command`'s UTF-8.
    public static func trailing(_ command: [String], of argv: [[UInt8]] = current()) -> [[UInt8]] {
        let tail = argv.suffix(command.count)
        guard tail.count == command.count,
            zip(tail, command).allSatisfy({ String(decoding: $0, as: UTF8.self) == $1 })
        else { return command.map { Array($0.utf8) } }
        return Array(tail)
    }

    /// The usage error for an argument that is not UTF-8, or nil. Such an argument reaches the
    /// parsers repaired (each bad byte U+FFFD), so `--socket`, `--config` or a file operand would
    /// name another file than the one given, silently; only `exec`'s command, after `--`, goes on
    /// byte for byte.
    public static func notUTF8Problem(_ argv: [[UInt8]] = current()) -> String? {
        let isExec = argv.count > 1 && argv[1] == Array("exec".utf8)
        for (index, argument) in argv.enumerated().dropFirst() {
            if isExec, argument == Array("--".utf8) { return nil }
            if String(validating: argument, as: UTF8.self) == nil {
                // Each bad byte shown as U+FFFD, controls escaped, and cut: the terminal's to show.
                return "argument \(index) is not UTF-8 (\(ShownText.quoted(String(decoding: argument, as: UTF8.self), limit: 64))); "
                    + "paths and names (before exec's --) must be"
            }
        }
        return nil
    }
}
