/// Lowercase hexadecimal, the form SigV4 uses for hashes and signatures.
public enum Hex {
    static let lowercaseDigits: [UInt8] = Array("0123456789abcdef".utf8)
    static let uppercaseDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            var index = 0
            for byte in bytes {
                output[index] = lowercaseDigits[Int(byte >> 4)]
                output[index + 1] = lowercaseDigits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    /// Appends the lowercase hex of `bytes` to `output`.
    static func append(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        for byte in bytes {
            output.append(lowercaseDigits[Int(byte >> 4)])
            output.append(lowercaseDigits[Int(byte & 0x0F)])
        }
    }
}
