/// The ASCII classes host names, ports and addresses are judged by, one byte at a time (never
/// Unicode's wider classes: `Character.isNumber` takes `٣`, which no host or port may hold).
extension UInt8 {
    /// `0`-`9`.
    var isASCIIDigit: Bool { (0x30...0x39).contains(self) }

    /// `a`-`z`.
    var isASCIILowercase: Bool { (0x61...0x7A).contains(self) }

    /// `A`-`Z`, `a`-`z`.
    var isASCIILetter: Bool { (0x41...0x5A).contains(self) || isASCIILowercase }

    /// `0`-`9`, `A`-`F`, `a`-`f`.
    var isASCIIHexDigit: Bool { isASCIIDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
