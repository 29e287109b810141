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
    /// the number of bytes written (24 or 16). Digits go in pairs, with one division each: every
    /// log line and every signature writes a time.
    @discardableResult
    private func write(into buffer: UnsafeMutableRawBufferPointer, extended: Bool) -> Int {
        precondition(buffer.count >= (extended ? 24 : 16))
        var index = 0
        func pair(_ value: Int) {
            let (tens, ones) = value.quotientAndRemainder(dividingBy: 10)
            buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ tens)
            buffer[index &+ 1] = UInt8(truncatingIfNeeded: 0x30 &+ ones)
            index &+= 2
        }
        func separator(_ byte: Unicode.Scalar, always: Bool = false) {
            guard extended || always else { return }
            buffer[index] = UInt8(ascii: byte)
            index &+= 1
        }
        // Every field is in range by construction: year 0...9999, the rest two digits.
        pair(year / 100)
        pair(year % 100)
        separator("-")
        pair(month)
        separator("-")
        pair(day)
        separator("T", always: true)
        pair(hour)
        separator(":")
        pair(minute)
        separator(":")
        pair(second)
        if extended {
            separator(".")
            buffer[index] = UInt8(truncatingIfNeeded: 0x30 &+ millisecond / 100)
            index &+= 1
            pair(millisecond % 100)
        }
        separator("Z", always: true)
        return index
    }
}
