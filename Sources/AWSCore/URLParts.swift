/// An absolute URL, `scheme://authority/path`, split the one way this project reads URLs: the
/// scheme ends at the first `://`, the authority at the first `/` after it, and the path is the
/// rest. Nothing is decoded or normalised: the parts are sent and signed as written.
public struct URLParts: Sendable, Equatable {
    /// Before `://`; nil when the URL has none (the authority then starts at the beginning).
    public let scheme: Substring?
    /// `host[:port]` as written, user information included if there is any.
    public let authority: Substring
    /// From the first `/` after the authority to the end; empty when there is none.
    public let path: Substring

    public init(_ url: String) {
        let bytes = url.utf8
        var authorityStart = bytes.startIndex
        var scheme: Substring?
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":"), bytes[index...].starts(with: "://".utf8) {
                scheme = url[..<index]
                authorityStart = bytes.index(index, offsetBy: 3)
                break
            }
            index = bytes.index(after: index)
        }
        let slash = bytes[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
        self.scheme = scheme
        authority = url[authorityStart..<slash]
        path = url[slash...]
    }

    /// Whether `url` may hold user information: any `@` at all. Parsers disagree on where an
    /// authority ends (`https://admin:pa/ss@host` is user info to Foundation, a path here), and
    /// no endpoint or queue URL needs an `@`: such a value is refused and never quoted, as it may
    /// hold a password.
    public static func mayHoldUserInfo(_ url: String) -> Bool {
        url.utf8.contains(UInt8(ascii: "@"))
    }

    /// Whether the authority is a host and an optional port that every parser reads alike: a DNS
    /// name (letters, digits, `-`, `_`, `.`) or a bracketed IPv6 literal (a link-local one's zone
    /// as `%25eth0`), then nothing or `:` and a port of 1 to 65535 in digits. Anything else there
    /// (a `?` or `#` before the first `/`, a port that is no number, user information) libcurl,
    /// which sends the request, reads otherwise or refuses, while ``host`` would still name a host.
    public var isHostAndPort: Bool {
        var rest = authority[...]
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { return false }
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            let percent = inside.firstIndex(of: "%")
            let address = percent.map { inside[..<$0] } ?? inside
            // After a `%`, `25` (the `%` itself, encoded) and the zone's name.
            let zone = percent.map { inside[$0...].dropFirst() }.map { $0.hasPrefix("25") ? $0.dropFirst(2) : "" }
            guard address.contains(":"),
                address.utf8.allSatisfy({ $0.isASCIIHexDigit || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                // libcurl takes a zone of 1-15 characters.
                zone.map({ (1...15).contains($0.utf8.count) && $0.utf8.allSatisfy { Self.isNameByte($0) || $0 == UInt8(ascii: "~") } })
                    ?? true
            else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let name = rest[..<end]
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isNameByte) else { return false }
            rest = rest[end...]
        }
        guard let colon = rest.first else { return true }
        let port = rest.dropFirst()
        guard colon == ":", (1...5).contains(port.utf8.count), port.utf8.allSatisfy(\.isASCIIDigit), let number = Int(port)
        else { return false }
        return (1...65535).contains(number)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        byte.isASCIIDigit || byte.isASCIILetter || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ".")].contains(byte)
    }

    /// The authority's host, lowercased and without its port; an IPv6 literal keeps its brackets
    /// (its colons are no port). Nil without a scheme, when empty, and with user information
    /// (`user@host`), which another parser could read as another host.
    public var host: String? {
        guard scheme != nil, !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.first == "[" {
            return authority.firstIndex(of: "]").map { authority[...$0].lowercased() }
        }
        return (authority.lastIndex(of: ":").map { authority[..<$0] } ?? authority).lowercased()
    }
}
