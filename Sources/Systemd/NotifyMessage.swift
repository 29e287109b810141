/// One `sd_notify(3)` state change, as the service manager understands it.
///
/// Formatting is a pure function so that the exact bytes sent to `$NOTIFY_SOCKET` can be
/// checked without a service manager.
public enum NotifyMessage: Sendable, Equatable {
    /// Startup finished: the spool and socket are open (`READY=1`).
    case ready
    /// A configuration reload started at `monotonicMicroseconds` on `CLOCK_MONOTONIC`
    /// (`RELOADING=1` plus `MONOTONIC_USEC=`, which `Type=notify-reload` requires).
    case reloading(monotonicMicroseconds: UInt64)
    /// Shutdown started (`STOPPING=1`).
    case stopping
    /// A human-readable one-line status shown by `systemctl status` (`STATUS=`).
    case status(String)
    /// The service is alive (`WATCHDOG=1`).
    case watchdog

    /// The newline-separated assignments sent in one datagram.
    public var formatted: String {
        switch self {
        case .ready:
            "READY=1"
        case .reloading(let microseconds):
            "RELOADING=1\nMONOTONIC_USEC=\(microseconds)"
        case .stopping:
            "STOPPING=1"
        case .status(let text):
            "STATUS=\(Self.oneLine(text))"
        case .watchdog:
            "WATCHDOG=1"
        }
    }

    /// `STATUS=` ends at the first newline, and `sd_notify` reads the message only up to its
    /// first NUL, so line breaks and NULs become spaces and the whole text survives; surrounding
    /// whitespace is trimmed. At most `maximumStatusBytes` of it are sent
    /// (cut at a character, with "..."): the service manager ignores a notification larger than
    /// its buffer whole, and a long error would have left `systemctl status` without one.
    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(min(text.utf8.count, maximumStatusBytes + 3))
        var bytes = 0
        for character in text {
            let piece = character.isNewline || character == "\0" ? " " : character
            bytes += piece.utf8.count
            if bytes > maximumStatusBytes {
                result += "..."
                break
            }
            result.append(piece)
        }
        return String(result.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// What of a status text is sent, in UTF-8 bytes: well within the 4 KiB notification buffer
    /// of the service manager, with the other fields of the datagram.
    static let maximumStatusBytes = 1024
}
