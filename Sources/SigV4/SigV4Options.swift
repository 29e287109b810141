/// Service-dependent variations of SigV4.
public struct SigV4Options: Sendable, Equatable {
    /// Remove `.`/`..` segments and duplicate slashes from the path before signing.
    /// Every service but S3 expects this.
    public var normalizePath: Bool
    /// Percent-encode the (already encoded) wire path once more, as every service but S3
    /// verifies it (`%3A` is signed as `%253A`). When false, existing `%XX` escapes are kept
    /// and only bytes outside the unreserved set are encoded.
    public var doubleEncodePath: Bool
    /// Add `x-amz-content-sha256` with the payload hash, and sign it (S3 requires it).
    public var signBody: Bool
    /// Add `X-Amz-Security-Token` after signing, outside `SignedHeaders`, for the few services
    /// that want the token unsigned.
    public var omitSessionToken: Bool

    public init(
        normalizePath: Bool = true,
        doubleEncodePath: Bool = true,
        signBody: Bool = false,
        omitSessionToken: Bool = false
    ) {
        self.normalizePath = normalizePath
        self.doubleEncodePath = doubleEncodePath
        self.signBody = signBody
        self.omitSessionToken = omitSessionToken
    }

    /// The S3 variant: path signed as sent, body hash header signed.
    public static let s3 = SigV4Options(normalizePath: false, doubleEncodePath: false, signBody: true)
}
