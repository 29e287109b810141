/// Lowercase hexadecimal, the form SigV4 uses for hashes and signatures.
public enum Hex {
    /// The lowercase hex digit of `nibble` (0...15). Arithmetic rather than a table: a static
    /// table costs a lazy-initialisation check on every access in these hot loops.
    @inline(__always)
    static func lowercase(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }

    /// The uppercase hex digit of `nibble` (0...15), as percent-encoding writes it.
    @inline(__always)
    static func uppercase(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x37 &+ nibble
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String.build(capacity: bytes.count * 2) { $0.writeHex(bytes) }
    }
}
