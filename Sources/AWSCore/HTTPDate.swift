import FoundationEssentials
import UTCTime

/// Parses the IMF-fixdate form of HTTP dates (`Sun, 06 Nov 1994 08:49:37 GMT`), the one AWS sends.
public enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    public static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int64(parts[1]), (1...31).contains(day),
            let month = months.firstIndex(of: parts[2].lowercased()),
            let year = Int64(parts[3]), (0...9999).contains(year),
            day <= UTCDateTime.daysIn(month: Int64(month + 1), of: year)
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int64($0) }
        guard clock.count == 3, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]), (0..<61).contains(clock[2])
        else { return nil }
        let seconds = UTCDateTime.epochSeconds(
            year: year, month: Int64(month + 1), day: day, hour: clock[0], minute: clock[1], second: clock[2])
        return Date(timeIntervalSince1970: Double(seconds))
    }
}
