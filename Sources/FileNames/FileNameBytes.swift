/// File names judged by their bytes, as `readdir` gives them and `ls` shows them, not by Swift's
/// characters: in `a\u{0600}.json` the prepended U+0600 and the dot are one character, so
/// `hasSuffix(".json")` says no although the name's bytes end in `.json`; and `.\u{0301}x` starts
/// with a character that is not `.` although `ls` hides it.
public enum FileNameBytes {
    /// Whether `name`'s bytes end with `suffix`'s.
    public static func endsWith(_ name: String, _ suffix: String) -> Bool {
        let count = suffix.utf8.count
        return name.utf8.count >= count && name.utf8.suffix(count).elementsEqual(suffix.utf8)
    }

    /// Whether `name` is hidden: its first byte is an ASCII `.`.
    public static func isHidden(_ name: String) -> Bool {
        name.utf8.first == UInt8(ascii: ".")
    }

    /// `name` without the `count` bytes of an ASCII suffix ``endsWith(_:_:)`` found (the cut falls
    /// at a scalar boundary), and without its first byte when `leadingDot` and that is an ASCII `.`.
    public static func trimming(_ name: String, suffixBytes count: Int, leadingDot: Bool = false) -> String {
        var bytes = name.utf8.dropLast(count)
        if leadingDot, bytes.first == UInt8(ascii: ".") { bytes = bytes.dropFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
