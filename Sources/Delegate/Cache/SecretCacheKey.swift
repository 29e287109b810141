import JSON

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

    /// Field by field as bytes, as AWS compares them: Swift's `==` finds canonically equivalent
    /// strings equal (`é` and `e` + U+0301), two stages (or version ids) at AWS.
    public static func == (lhs: SecretCacheKey, rhs: SecretCacheKey) -> Bool {
        JSONKey.same(lhs.connectorID, rhs.connectorID) && JSONKey.same(lhs.region, rhs.region)
            && JSONKey.same(lhs.fullName, rhs.fullName) && same(lhs.versionId, rhs.versionId)
            && same(lhs.versionStage, rhs.versionStage)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(JSONKey(connectorID))
        hasher.combine(JSONKey(region))
        hasher.combine(JSONKey(fullName))
        hasher.combine(versionId.map(JSONKey.init))
        hasher.combine(versionStage.map(JSONKey.init))
    }

    /// Two version ids or stages, both absent or the same bytes (as AWS compares them; Swift's
    /// `==` finds `é` and `e` + U+0301 equal).
    static func same(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): JSONKey.same(a, b)
        default: false
        }
    }
}
