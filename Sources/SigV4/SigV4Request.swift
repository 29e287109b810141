import struct FoundationEssentials.Data

/// The parts of an HTTP request that SigV4 signs.
///
/// The signer never changes the request: it returns the headers to add (`SignedRequest`), so
/// the HTTP layer stays the single owner of what goes on the wire.
public struct SigV4Request: Sendable {
    /// What the signer hashes as the body.
    public enum Payload: Sendable, Equatable {
        case bytes([UInt8])
        case data(Data)
        /// A lowercase hex SHA-256 the caller already has (or a literal such as
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), used as is.
        case precomputedHash(String)
        /// The body is not signed: `UNSIGNED-PAYLOAD` (S3 over TLS only).
        case unsigned

        /// No body.
        public static var empty: Payload { .bytes([]) }
    }

    /// HTTP method, e.g. `POST`.
    public var method: String
    /// The path as it goes on the wire: already percent-encoded, possibly not normalised.
    public var path: String
    /// The raw query string without `?`; `""` if none.
    public var query: String
    /// Header fields in wire order. Must include `Host`; duplicates are allowed and signed in order.
    public var headers: [(name: String, value: String)]
    public var payload: Payload

    public init(
        method: String,
        path: String = "/",
        query: String = "",
        headers: [(name: String, value: String)],
        payload: Payload = .empty
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payload = payload
    }
}
