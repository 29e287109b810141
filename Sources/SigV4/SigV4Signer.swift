import struct Foundation.Date

/// AWS Signature Version 4 for the `Authorization` header.
///
/// A pure value: credentials, region and service at creation; request and time in, headers
/// out. No I/O and no clock reading, so the caller decides the signing time (and can correct
/// it for clock skew). The hot path works on UTF-8 bytes with a handful of allocations; share
/// a `SigningKeyCache` to avoid deriving the signing key on every call.
public struct SigV4Signer: Sendable, CustomStringConvertible {
    public let credentials: Credentials
    public let region: String
    public let service: String
    public let keyCache: SigningKeyCache?

    public init(credentials: Credentials, region: String, service: String, keyCache: SigningKeyCache? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.keyCache = keyCache
    }

    /// Never shows the secret key or the token.
    public var description: String {
        "SigV4Signer(accessKeyId: \(credentials.accessKeyId), region: \(region), service: \(service))"
    }

    /// Signs `request` as of `date`.
    ///
    /// Headers named `Authorization`, `Connection`, `Expect`, `Transfer-Encoding`, `User-Agent`
    /// and `X-Amzn-Trace-Id` are not signed (intermediaries rewrite them). If the request already
    /// carries `X-Amz-Date`, that value is signed as is and must match `date`.
    public func sign(_ request: SigV4Request, date: Date, options: SigV4Options = SigV4Options()) -> SignedRequest {
        let time = AMZDate(date)
        let payloadHash = Self.payloadHash(request.payload)
        let token = credentials.sessionToken

        // Canonical request.
        var canonical: [UInt8] = []
        canonical.reserveCapacity(512 + request.path.utf8.count + request.query.utf8.count)
        canonical.append(contentsOf: request.method.utf8)
        canonical.append(Self.newline)
        CanonicalURI.append(
            path: request.path, normalize: options.normalizePath, doubleEncode: options.doubleEncodePath,
            to: &canonical)
        canonical.append(Self.newline)
        CanonicalQuery.append(query: request.query, to: &canonical)
        canonical.append(Self.newline)

        var headers = CanonicalHeaders(request.headers)
        let addDate = !headers.hasAmzDate
        if addDate {
            withUnsafeBytes(of: time.timestamp) { headers.add(name: CanonicalHeaders.amzDate, value: $0) }
        }
        let addToken = token != nil && !headers.hasSecurityToken
        if addToken, !options.omitSessionToken, var token {
            token.withUTF8 { headers.add(name: CanonicalHeaders.securityToken, value: UnsafeRawBufferPointer($0)) }
        }
        let addContentHash = options.signBody && !headers.hasContentSHA256
        if addContentHash {
            payloadHash.withUnsafeBytes { headers.add(name: CanonicalHeaders.contentSHA256, value: $0) }
        }
        let signedHeadersRange = headers.append(to: &canonical)
        canonical.append(Self.newline)
        canonical.append(contentsOf: payloadHash)

        // String to sign.
        var toSign: [UInt8] = []
        toSign.reserveCapacity(96 + region.utf8.count + service.utf8.count + 64)
        toSign.append(contentsOf: Self.algorithm)
        toSign.append(Self.newline)
        time.appendTimestamp(to: &toSign)
        toSign.append(Self.newline)
        let scopeStart = toSign.count
        appendScope(time, to: &toSign)
        let scopeEnd = toSign.count
        toSign.append(Self.newline)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256Digest.byteCount) { digest in
            if let base = digest.baseAddress,
                canonical.withUnsafeBytes({ SHA256Digest.digest($0, into: base) })
            {
                Hex.append(UnsafeRawBufferPointer(digest), to: &toSign)
            } else {
                toSign.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 2 * SHA256Digest.byteCount))
            }
        }

        // Signature and Authorization.
        let key = signingKey(time)
        let signature = toSign.withUnsafeBytes { Hex.encode(key.authenticate($0)) }
        var authorization: [UInt8] = []
        authorization.reserveCapacity(160 + signedHeadersRange.count)
        authorization.append(contentsOf: Self.algorithm)
        authorization.append(contentsOf: " Credential=".utf8)
        authorization.append(contentsOf: credentials.accessKeyId.utf8)
        authorization.append(UInt8(ascii: "/"))
        authorization.append(contentsOf: toSign[scopeStart..<scopeEnd])
        authorization.append(contentsOf: ", SignedHeaders=".utf8)
        authorization.append(contentsOf: canonical[signedHeadersRange])
        authorization.append(contentsOf: ", Signature=".utf8)
        authorization.append(contentsOf: signature.utf8)
        let authorizationValue = String(decoding: authorization, as: UTF8.self)

        let amzDate = time.timestampString
        var headersToAdd: [(name: String, value: String)] = []
        headersToAdd.reserveCapacity(4)
        if addDate { headersToAdd.append((name: "X-Amz-Date", value: amzDate)) }
        if addToken, let token { headersToAdd.append((name: "X-Amz-Security-Token", value: token)) }
        if addContentHash {
            headersToAdd.append((name: "x-amz-content-sha256", value: String(decoding: payloadHash, as: UTF8.self)))
        }
        headersToAdd.append((name: "Authorization", value: authorizationValue))

        return SignedRequest(
            canonicalRequest: String(decoding: canonical, as: UTF8.self),
            stringToSign: String(decoding: toSign, as: UTF8.self),
            signature: signature,
            authorization: authorizationValue,
            signedHeaders: String(decoding: canonical[signedHeadersRange], as: UTF8.self),
            amzDate: amzDate,
            headersToAdd: headersToAdd
        )
    }

    /// The derived signing key for `date` (UTC day), region and service. Secret material:
    /// exposed for presigning and diagnostics, never to be logged.
    public func signingKey(for date: Date) -> [UInt8] {
        signingKey(AMZDate(date)).bytes
    }

    private func signingKey(_ time: AMZDate) -> SigningKey {
        let derive = {
            SigningKey(
                secretAccessKey: credentials.secretAccessKey, dateStamp: time.dateStampString, region: region,
                service: service)
        }
        guard let keyCache else { return derive() }
        let key = SigningKeyCache.Key(
            secretAccessKey: credentials.secretAccessKey, day: time.day, region: region, service: service)
        return keyCache.signingKey(for: key, derive: derive)
    }

    /// `yyyyMMdd/region/service/aws4_request`
    private func appendScope(_ time: AMZDate, to output: inout [UInt8]) {
        time.appendDateStamp(to: &output)
        output.append(UInt8(ascii: "/"))
        output.append(contentsOf: region.utf8)
        output.append(UInt8(ascii: "/"))
        output.append(contentsOf: service.utf8)
        output.append(contentsOf: Self.scopeTerminator)
    }

    /// The last line of the canonical request, as ASCII bytes.
    private static func payloadHash(_ payload: SigV4Request.Payload) -> [UInt8] {
        switch payload {
        case .bytes(let bytes):
            return bytes.isEmpty ? emptyPayloadHash : bytes.withUnsafeBytes(hexDigest)
        case .data(let data):
            return data.isEmpty ? emptyPayloadHash : data.withUnsafeBytes(hexDigest)
        case .precomputedHash(let hash):
            return Array(hash.utf8)
        case .unsigned:
            return unsignedPayload
        }
    }

    private static func hexDigest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(2 * SHA256Digest.byteCount)
        SHA256Digest.hash(buffer).withUnsafeBytes { Hex.append($0, to: &output) }
        return output
    }

    private static let newline = UInt8(ascii: "\n")
    private static let algorithm: [UInt8] = Array("AWS4-HMAC-SHA256".utf8)
    private static let scopeTerminator: [UInt8] = Array("/aws4_request".utf8)
    private static let emptyPayloadHash: [UInt8] = Array(SHA256Digest.emptyHexHash.utf8)
    private static let unsignedPayload: [UInt8] = Array("UNSIGNED-PAYLOAD".utf8)
}
