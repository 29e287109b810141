extension UTCDateTime {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: the form of results, status timestamps and log lines.
    public var iso8601: String {
        var out = Self.pad(year, 4)
        out += "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
        out += "T" + Self.pad(hour, 2) + ":" + Self.pad(minute, 2) + ":" + Self.pad(second, 2)
        out += "." + Self.pad(millisecond, 3) + "Z"
        return out
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
