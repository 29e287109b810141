import struct FoundationEssentials.Date

/// AWS Signature Version 4 for the `Authorization` header.
///
/// A pure value: credentials, region and service at creation; request and time in, headers
/// out. No I/O and no clock reading, so the caller decides the signing time (and can correct
/// it for clock skew). The hot path works on UTF-8 bytes with a handful of allocations; share
/// a `SigningKeyCache` to avoid deriving the signing key on every call.
public struct SigV4Signer: Sendable, CustomStringConvertible {
    /// The keys signing with; a new signer is made when credentials rotate.
    public let credentials: Credentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public let region: String
    /// The signing name of the service, e.g. `secretsmanager`.
    public let service: String
    /// Where derived signing keys are remembered; nil derives one per signature (five HMACs).
    public let keyCache: SigningKeyCache?

    /// - Parameter keyCache: share one cache across signers to sign with one HMAC per request.
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
    ///
    /// - Throws: ``SigV4Error/Code/cryptoFailure`` if OpenSSL fails to hash or authenticate:
    ///   a request is never sent with a signature built on a failed digest.
    public func sign(
        _ request: SigV4Request, date: Date, options: SigV4Options = SigV4Options()
    ) throws(SigV4Error) -> SignedRequest {
        let time = AMZDate(date)
        let payloadHash = try PayloadHash(request.payload)
        let token = credentials.sessionToken
        let region = region, service = service

        // Canonical request.
        var canonical: [UInt8] = []
        canonical.reserveCapacity(
            640 + request.path.utf8.count + request.query.utf8.count + (token?.utf8.count ?? 0))
        canonical.append(contentsOf: request.method.utf8)
        canonical.append(Self.newline)
        CanonicalURI.append(
            path: request.path, normalize: options.normalizePath, doubleEncode: options.doubleEncodePath,
            to: &canonical)
        canonical.append(Self.newline)
        CanonicalQuery.append(query: request.query, to: &canonical)
        canonical.append(Self.newline)

        // Room for the three fields the signer may add: names of 10, 20 and 20 bytes, values of
        // 16 (the time), the token's length and the payload hash's (64 when computed; a caller's
        // precomputed value may be any length).
        let extraBytes = 66 + (token?.utf8.count ?? 0) + payloadHash.withBytes { $0.count }
        let (signedHeaders, addDate, addToken, addContentHash) = CanonicalHeaders.with(
            request.headers, extraCount: 3, extraBytes: extraBytes
        ) { headers in
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
                payloadHash.withBytes { headers.add(name: CanonicalHeaders.contentSHA256, value: $0) }
            }
            return (headers.append(to: &canonical), addDate, addToken, addContentHash)
        }
        canonical.append(Self.newline)
        payloadHash.withBytes { canonical.append(contentsOf: $0) }

        // String to sign: algorithm, time, scope, hash of the canonical request. It is written
        // after the canonical request in the same buffer (one allocation for both).
        let canonicalLength = canonical.count
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let hashed = canonical.withUnsafeBytes { canonical in
            withUnsafeMutableBytes(of: &digest) { digest in
                digest.withMemoryRebound(to: UInt8.self) { SHA256Digest.digest(canonical, into: $0.baseAddress!) }
            }
        }
        guard hashed else { throw .crypto("SHA-256 of the canonical request") }
        let scopeLength = 8 + 1 + region.utf8.count + 1 + service.utf8.count + Self.scopeTerminator.count
        let stringToSignLength = Self.algorithm.count + 18 + scopeLength + 1 + 64
        canonical.appendWriting(capacity: stringToSignLength) { writer in
            writer.write(Self.algorithm)
            writer.write(Self.newline)
            withUnsafeBytes(of: time.timestamp) { writer.write($0) }
            writer.write(Self.newline)
            Self.writeScope(time, region: region, service: service, to: &writer)
            writer.write(Self.newline)
            withUnsafeBytes(of: digest) { writer.writeHex($0) }
        }
        let stringToSign = canonicalLength..<canonical.count
        assert(stringToSign.count == stringToSignLength, "the string to sign's length is exact; a cut one signs wrong")

        // Signature and Authorization.
        let key = try signingKey(time)
        var authenticated = false
        let signature = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: HMACSHA256.byteCount) { tag in
            tag.initialize(repeating: 0)
            authenticated = canonical.withUnsafeBytes {
                key.authenticate(UnsafeRawBufferPointer(rebasing: $0[stringToSign]), into: UnsafeMutableRawBufferPointer(tag))
            }
            return Hex.encode(UnsafeRawBufferPointer(tag))
        }
        guard authenticated else { throw .crypto("HMAC-SHA256 of the string to sign") }
        let accessKeyId = credentials.accessKeyId
        let authorization = String.build(
            capacity: Self.algorithm.count + Self.credentialLabel.count + accessKeyId.utf8.count + 1 + scopeLength
                + Self.signedHeadersLabel.count + signedHeaders.count + Self.signatureLabel.count + 64
        ) { writer in
            writer.write(Self.algorithm)
            writer.write(Self.credentialLabel)
            writer.write(accessKeyId)
            writer.write(UInt8(ascii: "/"))
            Self.writeScope(time, region: region, service: service, to: &writer)
            writer.write(Self.signedHeadersLabel)
            writer.write(canonical[signedHeaders])
            writer.write(Self.signatureLabel)
            writer.write(signature)
        }

        let amzDate = time.timestampString
        var headersToAdd: [(name: String, value: String)] = []
        headersToAdd.reserveCapacity(4)
        if addDate { headersToAdd.append((name: "X-Amz-Date", value: amzDate)) }
        if addToken, let token { headersToAdd.append((name: "X-Amz-Security-Token", value: token)) }
        if addContentHash { headersToAdd.append((name: "x-amz-content-sha256", value: payloadHash.string)) }
        headersToAdd.append((name: "Authorization", value: authorization))

        return SignedRequest(
            texts: canonical,
            canonicalLength: canonicalLength,
            signedHeadersRange: signedHeaders,
            stringToSignRange: stringToSign,
            signature: signature,
            authorization: authorization,
            amzDate: amzDate,
            headersToAdd: headersToAdd
        )
    }

    /// The derived signing key for `date` (UTC day), region and service, derived anew (the cache
    /// keeps no key bytes). Secret material, never to be logged; for tests, which compare it
    /// with the key the cache signs with.
    func signingKey(for date: Date) throws(SigV4Error) -> [UInt8] {
        try SigningKey.derive(
            secretAccessKey: credentials.secretAccessKey, dateStamp: AMZDate(date).dateStampString, region: region,
            service: service)
    }

    private func signingKey(_ time: AMZDate) throws(SigV4Error) -> SigningKey {
        guard let keyCache else { return try deriveKey(time) }
        let key = SigningKeyCache.Key(
            secretAccessKey: credentials.secretAccessKey, day: time.day, region: region, service: service)
        // A closure passed straight on is not escaping: it borrows the signer instead of boxing a copy.
        return try keyCache.signingKey(for: key) { () throws(SigV4Error) in try deriveKey(time) }
    }

    private func deriveKey(_ time: AMZDate) throws(SigV4Error) -> SigningKey {
        try SigningKey(
            secretAccessKey: credentials.secretAccessKey, dateStamp: time.dateStampString, region: region,
            service: service)
    }

    /// `yyyyMMdd/region/service/aws4_request`. Static, so the writing closures capture two
    /// strings rather than a copy of the signer.
    private static func writeScope(_ time: AMZDate, region: String, service: String, to writer: inout ByteWriter) {
        withUnsafeBytes(of: time.timestamp) { writer.write(UnsafeRawBufferPointer(rebasing: $0.prefix(8))) }
        writer.write(UInt8(ascii: "/"))
        writer.write(region)
        writer.write(UInt8(ascii: "/"))
        writer.write(service)
        writer.write(scopeTerminator)
    }

    private static let newline = UInt8(ascii: "\n")
    private static let algorithm: [UInt8] = Array("AWS4-HMAC-SHA256".utf8)
    private static let scopeTerminator: [UInt8] = Array("/aws4_request".utf8)
    private static let credentialLabel: [UInt8] = Array(" Credential=".utf8)
    private static let signedHeadersLabel: [UInt8] = Array(", SignedHeaders=".utf8)
    private static let signatureLabel: [UInt8] = Array(", Signature=".utf8)
}
