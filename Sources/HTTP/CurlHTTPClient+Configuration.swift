extension CurlHTTPClient {
    /// How a `CurlHTTPClient` reaches servers. Built once at startup.
    ///
    /// The proxy settings are read from an environment dictionary handed in by the caller, never
    /// from the process environment behind its back, so tests can inject one and libcurl's own
    /// environment lookup is always overridden (`CURLOPT_PROXY`/`CURLOPT_NOPROXY` are set on
    /// every request, to "" when there is no proxy).
    public struct Configuration: Sendable, Equatable {
        /// Proxy for `http://` URLs (`http_proxy`, then `all_proxy` and `ALL_PROXY`, as curl
        /// falls back). Never `HTTP_PROXY`, which curl does not read either: a CGI program's
        /// environment carries a client's `Proxy:` header under that name ("httpoxy").
        public var httpProxy: String?
        /// Proxy for `https://` URLs (`https_proxy`, then `HTTPS_PROXY`, then `all_proxy` and
        /// `ALL_PROXY`).
        public var httpsProxy: String?
        /// Hosts that never use the proxy, in curl's `NO_PROXY` syntax
        /// (`no_proxy`, then `NO_PROXY`): comma-separated names, domains and IPs (CIDRs from
        /// libcurl 7.86), `*` for all.
        public var noProxy: String?
        /// A PEM bundle trusted as well as the system store (libcurl keeps its CA path: tests, a
        /// private CA in front of an endpoint); nothing in the daemon sets it.
        /// Verification of peer and host name is always on; there is no way to turn it off.
        public var caFile: String?
        /// Sent as `User-Agent` unless a request sets its own.
        public var userAgent: String?
        /// Upper bound on connections to one host (0: no bound). Transfers beyond it wait in curl.
        public var maxConnectionsPerHost: Int
        /// Size of the idle connection cache (0: curl's default).
        public var maxCachedConnections: Int

        /// - Parameter environment: usually `ProcessInfo.processInfo.environment`; proxy variables
        ///   are taken from it (lower-case names win, as curl does; `http_proxy` only in lower
        ///   case, as in curl; empty values count as unset).
        public init(
            environment: [String: String],
            caFile: String? = nil,
            userAgent: String? = nil,
            maxConnectionsPerHost: Int = 0,
            maxCachedConnections: Int = 0
        ) {
            func lookup(_ name: String, upperCaseToo: Bool = true) -> String? {
                for key in upperCaseToo ? [name, name.uppercased()] : [name] {
                    if let value = environment[key]?.trimmingWhitespace, !value.isEmpty { return value }
                }
                return nil
            }
            let anyScheme = lookup("all_proxy")
            self.httpProxy = lookup("http_proxy", upperCaseToo: false) ?? anyScheme
            self.httpsProxy = lookup("https_proxy") ?? anyScheme
            self.noProxy = lookup("no_proxy")
            self.caFile = caFile
            self.userAgent = userAgent
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxCachedConnections = maxCachedConnections
        }

        /// The proxy to use for `url`, or nil to go direct. `NO_PROXY` matching is left to curl.
        func proxy(for url: String) -> String? {
            // Most hosts set no proxy: then no request's scheme needs reading.
            guard httpsProxy != nil || httpProxy != nil else { return nil }
            let lowered = url.prefix(8).lowercased()
            if lowered.hasPrefix("https://") { return httpsProxy }
            if lowered.hasPrefix("http://") { return httpProxy }
            return nil
        }
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
