import struct FoundationEssentials.Date
import UTCTime

/// The two SigV4 renderings of a signing time, from `UTCDateTime` without a formatter:
/// `yyyyMMdd'T'HHmmss'Z'` (the `X-Amz-Date` value) and `yyyyMMdd` (the credential scope date).
struct AMZDate {
    /// 16 bytes inline, so a signing time never allocates.
    typealias Timestamp = (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
    )

    /// `yyyyMMddTHHmmssZ` as 16 ASCII bytes.
    var timestamp: Timestamp
    /// Days since 1970-01-01 (UTC); identifies the scope date in the key cache.
    var day: Int

    /// Times outside years 0...9999 are clamped into it (they cannot be written in four digits);
    /// fractions of a second are cut, never rounded up.
    init(_ date: Date) {
        let time = UTCDateTime(date)
        day = time.daysSinceEpoch
        timestamp = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &timestamp) { time.writeBasicTimestamp(into: $0) }
    }

    var timestampString: String {
        withUnsafeBytes(of: timestamp) { String(decoding: $0, as: UTF8.self) }
    }

    var dateStampString: String {
        withUnsafeBytes(of: timestamp) { String(decoding: $0.prefix(8), as: UTF8.self) }
    }
}
