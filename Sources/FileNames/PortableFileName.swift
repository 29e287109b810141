/// The name rule the delegate uses wherever a name from outside becomes a file name (task ids,
/// spool files, credential refs): POSIX's portable filename character set `[A-Za-z0-9._-]`, at
/// most `maxLength` bytes, never `.` or `..`. Such a name is one path component on every file
/// system and needs no quoting anywhere.
public enum PortableFileName {
    public static let defaultMaxLength = 128

    /// Whether `byte` is in `[A-Za-z0-9._-]`.
    public static func isPortable(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// Whether `scalar` is in `[A-Za-z0-9._-]`.
    public static func isPortable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && isPortable(UInt8(truncatingIfNeeded: scalar.value))
    }

    /// 1...`maxLength` bytes of `[A-Za-z0-9._-]`, and not `.` or `..`.
    public static func isValid(_ name: String, maxLength: Int = defaultMaxLength) -> Bool {
        // Over the contiguous UTF-8 (every native string has it): a task checks a dozen names,
        // and the UTF-8 view's iterator cost a dozen instructions a byte.
        name.utf8.withContiguousStorageIfAvailable { isValid($0, maxLength: maxLength) }
            ?? isValid(Array(name.utf8), maxLength: maxLength)
    }

    /// 1...`maxLength` bytes of `[A-Za-z0-9._-]`, and not `.` or `..`.
    public static func isValid(_ bytes: some Collection<UInt8>, maxLength: Int = defaultMaxLength) -> Bool {
        guard (1...maxLength).contains(bytes.count) else { return false }
        var dots = 0
        for byte in bytes {
            guard isPortable(byte) else { return false }
            if byte == UInt8(ascii: ".") { dots += 1 }
        }
        return dots != bytes.count || dots > 2
    }
}
