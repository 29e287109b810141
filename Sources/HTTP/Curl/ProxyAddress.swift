/// A proxy URL from the environment (`http://user:password@proxy:3128`) with its user information
/// taken out: curl gets the address and the credentials separately (`CURLOPT_PROXYUSERNAME`,
/// `CURLOPT_PROXYPASSWORD`), so no text curl writes, such as an error quoting the proxy it
/// refused, holds the password.
struct ProxyAddress: Equatable, Sendable {
    /// The URL without user information.
    var address: String
    /// Percent-decoded to the bytes they stand for, as curl decodes them from a URL (a `%E9`
    /// is the byte E9, not a character: a Latin-1 password stays what the proxy expects).
    var user: [UInt8]?
    var password: [UInt8]?

    init(address: String, user: String?, password: String?) {
        self.address = address
        self.user = user.map { Array($0.utf8) }
        self.password = password.map { Array($0.utf8) }
    }

    init(_ url: String) {
        let authorityStart = url.firstRange(of: "://")?.upperBound ?? url.startIndex
        // The user information ends at the last `@`, not at a `/` before it: a password holding
        // an unencoded `/`, `?` or `#` must not leave the whole URL, password and all, to curl
        // (and to the error texts that quote it). A proxy URL has no `@` of its own after that.
        guard let at = url[authorityStart...].lastIndex(of: "@") else {
            address = url
            return
        }
        let userInfo = url[authorityStart..<at]
        address = String(url[..<authorityStart] + url[url.index(after: at)...])
        if let colon = userInfo.firstIndex(of: ":") {
            user = Self.percentDecoded(userInfo[..<colon])
            password = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
        } else {
            user = Self.percentDecoded(userInfo)
        }
    }

    /// `%XX` sequences as the bytes they stand for; anything else as it is.
    static func percentDecoded(_ text: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
