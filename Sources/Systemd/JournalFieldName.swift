/// Turns swift-log metadata keys into valid journal field names.
///
/// journald drops fields whose names are not `[A-Z0-9_]+`, start with `_` (reserved for
/// trusted fields) or a digit, or exceed 64 characters. The rule, applied in order:
/// 1. ASCII letters are uppercased; every other character outside `[A-Z0-9_]` (including
///    each non-ASCII scalar) becomes `_`. So `task_id` → `TASK_ID`, `http.status` → `HTTP_STATUS`.
/// 2. A name that is empty, starts with `_` or a digit, or equals a field the handler writes
///    itself (`MESSAGE`, `PRIORITY`, `MESSAGE_ID`, `CODE_FILE`, ...) gets the prefix `F_`:
///    `_private` → `F__PRIVATE`, `2fa` → `F_2FA`, `message` → `F_MESSAGE`.
/// 3. The result is cut to 64 characters.
public enum JournalFieldName {
    /// The longest field name journald accepts.
    public static let maximumLength = 64

    /// The prefix that makes an otherwise invalid or reserved name valid.
    public static let prefix = "F_"

    /// Fields the handler sets itself or that journald interprets; metadata never overrides them.
    public static let reserved: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
        "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID", "SYSLOG_TIMESTAMP", "SYSLOG_RAW",
        "ERRNO", "EVENT", "LOGGER", "ERROR", "DOCUMENTATION", "TID",
        "OBJECT_PID", "COREDUMP_UNIT", "COREDUMP_USER_UNIT", "OBJECT_SYSTEMD_UNIT", "OBJECT_SYSTEMD_USER_UNIT",
        "INVOCATION_ID", "USER_INVOCATION_ID",
    ]

    /// The journal field name for a metadata key.
    public static func sanitize(_ key: String) -> String {
        var name = ""
        if key.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (every key the delegate logs): byte by byte, every record logs several.
            name = String(
                unsafeUninitializedCapacity: key.utf8.count,
                initializingUTF8With: { buffer in
                    for (index, byte) in key.utf8.enumerated() {
                        switch byte {
                        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                            buffer[index] = byte
                        case UInt8(ascii: "a")...UInt8(ascii: "z"):
                            buffer[index] = byte - 32
                        default:
                            buffer[index] = UInt8(ascii: "_")
                        }
                    }
                    return key.utf8.count
                })
        } else {
            name = scalarByScalar(key)
        }
        return finished(name)
    }

    /// Each Unicode scalar outside `[A-Za-z0-9_]` becomes one `_`.
    private static func scalarByScalar(_ key: String) -> String {
        var name = ""
        name.reserveCapacity(key.utf8.count)
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_":
                name.unicodeScalars.append(scalar)
            case "a"..."z":
                name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32) ?? "_")
            default:
                name.unicodeScalars.append("_")
            }
        }
        return name
    }

    /// The `F_` prefix where needed, and the length cut.
    private static func finished(_ sanitized: String) -> String {
        var name = sanitized
        if let first = name.utf8.first {
            let startsBadly = first == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            if startsBadly || reserved.contains(name) {
                name = prefix + name
            }
        } else {
            name = prefix
        }
        if name.utf8.count > maximumLength {
            name = String(name.prefix(maximumLength))
        }
        return name
    }
}
