extension SigV4Request {
    /// Builds the request from an absolute URL as it goes on the wire (already percent-encoded),
    /// for callers that hold a URL string rather than its parts.
    ///
    /// Adds `Host` the way curl sends it (port only when not the scheme's default) unless
    /// `headers` already has one. Nil when `url` is not `scheme://host...`.
    public init?(
        method: String, url: String, headers: [(name: String, value: String)] = [], payload: Payload = .empty
    ) {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty, !scheme.isEmpty else { return nil }

        var target = rest[authorityEnd...]
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        let path: Substring
        let query: Substring
        if let question = target.firstIndex(of: "?") {
            path = target[..<question]
            query = target[target.index(after: question)...]
        } else {
            path = target
            query = ""
        }

        var headers = headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            headers.insert((name: "Host", value: Self.hostHeader(authority: authority, scheme: scheme)), at: 0)
        }
        self.init(
            method: method, path: path.isEmpty ? "/" : String(path), query: String(query), headers: headers,
            payload: payload)
    }

    /// `host[:port]` with the scheme's default port dropped (IPv6 literals keep their brackets).
    private static func hostHeader(authority: Substring, scheme: String) -> String {
        let portStart: Substring.Index?
        if authority.hasPrefix("[") {
            portStart = authority.firstRange(of: "]:")?.upperBound
        } else {
            portStart = authority.lastIndex(of: ":").map { authority.index(after: $0) }
        }
        guard let portStart else { return String(authority) }
        let port = authority[portStart...]
        let isDefault = (scheme == "https" && port == "443") || (scheme == "http" && port == "80") || port.isEmpty
        return isDefault ? String(authority[..<authority.index(before: portStart)]) : String(authority)
    }
}
