extension [UInt8] {
    /// Appends `text`'s UTF-8 with one copy if every byte `isPlain`, in one pass over its
    /// contiguous storage; returns false (and appends nothing) otherwise.
    ///
    /// Every log record is built from a dozen or more strings: appending a `String.UTF8View`, or
    /// checking one with `allSatisfy`, goes through the generic sequence path at about 190
    /// instructions a piece, more than the copy itself.
    @inline(__always)
    @discardableResult
    mutating func appendUTF8(of text: String, ifEvery isPlain: (UInt8) -> Bool = { _ in true }) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes where !isPlain(byte) { return false }
            append(contentsOf: bytes)
            return true
        }
    }
}
