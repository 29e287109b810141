import struct Foundation.Date

/// The two SigV4 renderings of a signing time, computed from the epoch without a formatter:
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

    /// Times outside years 0...9999 are clamped into it (they cannot be written in four digits).
    init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let lowest = -62_167_219_200.0  // 0000-01-01T00:00:00Z
        let highest = 253_402_300_799.0  // 9999-12-31T23:59:59Z
        let clamped = interval.isNaN ? 0 : min(max(interval, lowest), highest)
        let seconds = Int(clamped.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        day = days

        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        let second = secondOfDay % 60
        func digit(_ value: Int) -> UInt8 { UInt8(truncatingIfNeeded: 0x30 + value % 10) }
        timestamp = (
            digit(year / 1000), digit(year / 100), digit(year / 10), digit(year),
            digit(month / 10), digit(month), digit(dayOfMonth / 10), digit(dayOfMonth),
            UInt8(ascii: "T"), digit(hour / 10), digit(hour), digit(minute / 10), digit(minute),
            digit(second / 10), digit(second), UInt8(ascii: "Z")
        )
    }

    var timestampString: String {
        withUnsafeBytes(of: timestamp) { String(decoding: $0, as: UTF8.self) }
    }

    var dateStampString: String {
        withUnsafeBytes(of: timestamp) { String(decoding: $0.prefix(8), as: UTF8.self) }
    }
}
