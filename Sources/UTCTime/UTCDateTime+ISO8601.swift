extension UTCDateTime {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: the form of results, status timestamps and log lines.
    ///
    /// Written digit by digit into the string's own storage: every result carries two of these
    /// and every log line one, so no intermediate strings are made.
    public var iso8601: String {
        String(unsafeUninitializedCapacity: 24) { buffer in
            write(into: UnsafeMutableRawBufferPointer(buffer), extended: true)
        }
    }

    /// Appends ``iso8601``'s 24 bytes to `bytes` without making a string (a string of more
    /// than 15 bytes is an allocation and a UTF-8 check: five of them a task).
    public func appendISO8601(to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            let count = write(into: UnsafeMutableRawBufferPointer(buffer), extended: true)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// `YYYYMMDDTHHMMSSZ`, ISO 8601's basic form (SigV4's `X-Amz-Date`), as 16 ASCII bytes at
    /// the start of `buffer`, which must hold them.
    public func writeBasicTimestamp(into buffer: UnsafeMutableRawBufferPointer) {
        write(into: buffer, extended: false)
    }

    /// The one writer of both forms: the extended one has separators and milliseconds. Returns
    /// the number of bytes written (24 or 16).
    @discardableResult
    private func write(into buffer: UnsafeMutableRawBufferPointer, extended: Bool) -> Int {
        precondition(buffer.count >= (extended ? 24 : 16))
        var index = 0
        func put(_ value: Int, digits: Int) {
            var remaining = value
            for position in stride(from: index + digits - 1, through: index, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            index += digits
        }
        func put(_ byte: Unicode.Scalar, always: Bool = false) {
            guard extended || always else { return }
            buffer[index] = UInt8(ascii: byte)
            index += 1
        }
        put(year, digits: 4)
        put("-")
        put(month, digits: 2)
        put("-")
        put(day, digits: 2)
        put("T", always: true)
        put(hour, digits: 2)
        put(":")
        put(minute, digits: 2)
        put(":")
        put(second, digits: 2)
        if extended {
            put(".")
            put(millisecond, digits: 3)
        }
        put("Z", always: true)
        return index
    }
}
