/// Sequential writes into a buffer of known size, to build the signer's ASCII outputs with a
/// single allocation. Writes past the end are dropped, never out of bounds.
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        let length = min(bytes.count, buffer.count - count)
        guard length > 0, let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
        // Raw bytes (a tuple of words, say) are copied as bytes: never read as `UInt8` memory
        // they were not bound to.
        UnsafeMutableRawPointer(target + count).copyMemory(from: source, byteCount: length)
        count += length
    }

    /// Writes `bytes` as lowercase hex, two digits per byte.
    mutating func writeHex(_ bytes: UnsafeRawBufferPointer) {
        guard buffer.count - count >= 2 * bytes.count, let target = buffer.baseAddress else { return }
        var output = target + count
        for byte in bytes {
            output[0] = Hex.lowercase(byte >> 4)
            output[1] = Hex.lowercase(byte & 0x0F)
            output += 2
        }
        count += 2 * bytes.count
    }

    mutating func write(_ byte: UInt8) {
        guard count < buffer.count else { return }
        buffer[count] = byte
        count += 1
    }

    mutating func write(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { write($0) }
    }

    mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// A string of at most `capacity` UTF-8 bytes, written by `body`.
    static func build(capacity: Int, _ body: (inout ByteWriter) -> Void) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var writer = ByteWriter(buffer)
            body(&writer)
            return writer.count
        }
    }
}

extension [UInt8] {
    /// Appends at most `capacity` bytes, written by `body` (into a stack buffer, then copied once).
    mutating func appendWriting(capacity: Int, _ body: (inout ByteWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var writer = ByteWriter(buffer)
            body(&writer)
            append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<writer.count]))
        }
    }
}
