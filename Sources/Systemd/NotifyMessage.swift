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

    /// `STATUS=` ends at the first newline, so line breaks become spaces and the whole text
    /// survives; surrounding whitespace is trimmed.
    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            result.append(character.isNewline ? " " : character)
        }
        return String(result.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
