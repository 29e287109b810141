public import struct FoundationEssentials.Date

/// A moment as a UTC calendar date and time of day, computed from the epoch with Howard Hinnant's
/// civil-date algorithms: no `Calendar`, no formatter, no allocation. The one place the delegate
/// turns epoch time into calendar fields and back (ISO 8601 timestamps, SigV4's `X-Amz-Date`, log
/// lines, HTTP dates).
public struct UTCDateTime: Sendable, Equatable {
    /// 0...9999: moments outside those years are clamped into them (they cannot be written in
    /// four digits); NaN counts as the epoch.
    public let year: Int
    /// 1...12.
    public let month: Int
    /// 1...31.
    public let day: Int
    public let hour: Int
    public let minute: Int
    public let second: Int
    /// Rounded down (from the microsecond): a time is never written later than it is by more than
    /// half a microsecond.
    public let millisecond: Int
    /// Days since 1970-01-01 (negative before).
    public let daysSinceEpoch: Int

    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z, in milliseconds since the epoch.
    static let millisecondRange: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    public init(_ date: Date) {
        // To the microsecond first: a decimal millisecond is often a hair under its value as a
        // Double (2150000000.002 s is 2150000000.00199985... s), and floored as it is, it would be
        // written a millisecond early. (A Double of a time of this age holds no whole microsecond
        // less than that.)
        let raw = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let microseconds = raw.isNaN ? 0 : Int64(min(max(raw, -9e18), 9e18))
        let milliseconds = min(
            max(Self.floorDivide(microseconds, 1000).0, Self.millisecondRange.lowerBound),
            Self.millisecondRange.upperBound)
        let (days, msOfDay) = Self.floorDivide(milliseconds, 86_400_000)
        daysSinceEpoch = Int(days)
        let (year, month, day) = Self.civil(fromDays: days)
        self.year = Int(year)
        self.month = Int(month)
        self.day = Int(day)
        hour = Int(msOfDay / 3_600_000)
        minute = Int(msOfDay / 60_000 % 60)
        second = Int(msOfDay / 1000 % 60)
        millisecond = Int(msOfDay % 1000)
    }

    /// The days `month` (1-12) has in `year` (the proleptic Gregorian calendar's leap years), for
    /// parsers to check a day before ``epochSeconds(year:month:day:hour:minute:second:)``.
    public static func daysIn(month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds since the epoch of a UTC date and time given by its fields (days_from_civil).
    /// Fields are not range-checked: callers parse and check them first.
    public static func epochSeconds(
        year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64
    ) -> Int64 {
        daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Howard Hinnant's civil_from_days.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's days_from_civil.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
