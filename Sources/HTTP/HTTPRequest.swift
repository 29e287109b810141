import struct FoundationEssentials.Data

/// One HTTP request as the delegate's AWS code builds it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The absolute URL, already percent-encoded as it should go on the wire.
    public var url: String
    public var headers: HTTPHeaders
    public var body: Data
    public var options: HTTPRequestOptions

    public init(
        method: String,
        url: String,
        headers: HTTPHeaders = [:],
        body: Data = Data(),
        options: HTTPRequestOptions = HTTPRequestOptions()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.options = options
    }
}

/// Per-request limits. Defaults suit an AWS API call; IMDS uses much shorter timeouts and no proxy.
public struct HTTPRequestOptions: Sendable, Equatable {
    /// Time allowed to establish the TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Time allowed for the whole exchange, connection included.
    public var totalTimeout: Duration
    /// Responses with a larger body fail with `HTTPClientError.Code.responseTooLarge`.
    public var maxResponseBytes: Int
    /// When true the request never goes through a proxy, whatever the environment says
    /// (IMDS must never be reached through a proxy).
    public var bypassProxy: Bool
    /// When true the request goes on a connection opened for it, never one kept from an earlier
    /// request. On a kept connection that closes before any byte of the answer, libcurl sends
    /// the request again by itself, unseen by the caller: harmless for a request that may be
    /// made twice, but one that may not (a write without an idempotency token) would be made
    /// twice while the caller counts one attempt.
    public var freshConnection: Bool

    public init(
        connectTimeout: Duration = .seconds(3),
        totalTimeout: Duration = .seconds(15),
        maxResponseBytes: Int = 2 * 1024 * 1024,
        bypassProxy: Bool = false,
        freshConnection: Bool = false
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
        self.bypassProxy = bypassProxy
        self.freshConnection = freshConnection
    }
}
