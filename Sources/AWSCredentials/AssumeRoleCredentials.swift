/// `assumeRole` credentials. ``validate()`` holds them to what STS accepts; the task decoder
/// and `AssumeRoleSource` both use it, so there is one set of rules.
public struct AssumeRoleCredentials: Hashable, Sendable {
    public static let durationRange = 900...43_200
    public static let defaultDurationSeconds = 3600
    public static let externalIDLength = 2...1224

    /// `arn:aws[-partition]:iam::<12 digits>:role/<path/name>`.
    public let roleARN: String
    /// 2-1224 characters of `[\w+=,.@:/-]`.
    public let externalID: String?
    /// 900-43200, default 3600.
    public let durationSeconds: Int

    public init(roleARN: String, externalID: String?, durationSeconds: Int = defaultDurationSeconds) {
        self.roleARN = roleARN
        self.externalID = externalID
        self.durationSeconds = durationSeconds
    }
}
