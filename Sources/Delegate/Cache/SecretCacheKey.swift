/// What one cached `getSecretValue` answers (docs/INTERFACE.md section 14): one named connector's
/// read of one version of one secret.
public struct SecretCacheKey: Hashable, Sendable {
    public let connectorID: String
    public let region: String
    /// The name as sent to AWS (prefix applied), or the ARN as given.
    public let fullName: String
    public let versionId: String?
    /// The stage asked for; `AWSCURRENT` when neither a version id nor a stage was given, as AWS does.
    public let versionStage: String?

    public init(connectorID: String, region: String, fullName: String, versionId: String?, versionStage: String?) {
        self.connectorID = connectorID
        self.region = region
        self.fullName = fullName
        self.versionId = versionId
        self.versionStage = versionStage ?? (versionId == nil ? Self.currentStage : nil)
    }

    public static let currentStage = "AWSCURRENT"
}
