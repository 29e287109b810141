import FoundationEssentials
import UTCTime

/// Parses the IMF-fixdate form of HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`), the one AWS sends.
public enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The date, or nil unless `text` is one: fixed-width digits (`06`, `1994`, `08:49:37`), no sign.
    public static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[5] == "GMT",
            let day = number(parts[1], digits: 2), (1...31).contains(day),
            let month = months.firstIndex(of: parts[2].lowercased()),
            let year = number(parts[3], digits: 4),
            day <= UTCDateTime.daysIn(month: Int64(month + 1), of: year)
        else { return nil }
        let fields = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        let clock = fields.compactMap { number($0, digits: 2) }
        guard fields.count == 3, clock.count == 3, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]),
            (0..<61).contains(clock[2])
        else { return nil }
        let seconds = UTCDateTime.epochSeconds(
            year: year, month: Int64(month + 1), day: day, hour: clock[0], minute: clock[1], second: clock[2])
        return Date(timeIntervalSince1970: Double(seconds))
    }

    /// `text` as a number if it is exactly `digits` ASCII digits.
    private static func number(_ text: Substring, digits: Int) -> Int64? {
        let bytes = text.utf8
        guard bytes.count == digits, bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int64(text)
    }
}
