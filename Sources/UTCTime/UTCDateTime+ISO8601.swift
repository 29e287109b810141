extension UTCDateTime {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: the form of results, status timestamps and log lines.
    ///
    /// Written digit by digit into the string's own storage: every result carries two of these
    /// and every log line one, so no intermediate strings are made.
    public var iso8601: String {
        String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            func put(_ value: Int, digits: Int) {
                var remaining = value
                for position in stride(from: index + digits - 1, through: index, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                }
                index += digits
            }
            func put(_ byte: Unicode.Scalar) {
                buffer[index] = UInt8(ascii: byte)
                index += 1
            }
            put(year, digits: 4)
            put("-")
            put(month, digits: 2)
            put("-")
            put(day, digits: 2)
            put("T")
            put(hour, digits: 2)
            put(":")
            put(minute, digits: 2)
            put(":")
            put(second, digits: 2)
            put(".")
            put(millisecond, digits: 3)
            put("Z")
            return index
        }
    }
}
