import AWSCore
import Foundation
import Logging
import SigV4

/// STS AssumeRole from the delegate's own identity: `RoleArn`, optional `ExternalId`,
/// `DurationSeconds` and a `RoleSessionName` that says which delegate asked.
public struct AssumeRoleSource: CredentialSource {
    public static let durationRange = 900...43_200
    public static let defaultDuration = 3600
    public static let externalIDLength = 2...1224

    public let roleArn: String
    public let externalId: String?
    public let durationSeconds: Int
    public let sessionName: String
    public var name: String { "assume-role:\(roleArn)" }

    private let base: any CredentialProvider
    private let sts: AWSClient

    /// Validates every parameter before anything is sent.
    public init(
        roleArn: String,
        externalId: String?,
        durationSeconds: Int = AssumeRoleSource.defaultDuration,
        delegateName: String,
        base: any CredentialProvider,
        sts: AWSClient
    ) throws(AWSError) {
        try Self.validate(roleArn: roleArn, externalId: externalId, durationSeconds: durationSeconds)
        self.roleArn = roleArn
        self.externalId = externalId
        self.durationSeconds = durationSeconds
        self.sessionName = Self.sessionName(for: delegateName)
        self.base = base
        self.sts = sts
    }

    public static func validate(roleArn: String, externalId: String?, durationSeconds: Int) throws(AWSError) {
        guard roleArn.hasPrefix("arn:"), roleArn.contains(":iam::"), roleArn.contains(":role/") else {
            throw AWSError.validation("InvalidTask", "roleArn '\(roleArn)' is not an IAM role ARN")
        }
        if let externalId, !externalIDLength.contains(externalId.count) {
            throw AWSError.validation("InvalidTask", "externalId must be 2-1224 characters, not \(externalId.count)")
        }
        guard durationRange.contains(durationSeconds) else {
            throw AWSError.validation("InvalidTask", "durationSeconds must be 900-43200, not \(durationSeconds)")
        }
    }

    /// `secrets-delegate-<name>`, cut to STS's 2-64 characters of `[\w+=,.@-]`.
    public static func sessionName(for delegateName: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
        let cleaned = String(delegateName.map { allowed.contains($0) ? $0 : "-" })
        return String("secrets-delegate-\(cleaned)".prefix(64))
    }

    public func fetch(logger: Logger) async throws -> Credentials {
        var parameters = [
            ("RoleArn", roleArn), ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds)),
        ]
        if let externalId { parameters.append(("ExternalId", externalId)) }
        let response: AWSResponse
        do {
            response = try await sts.send(
                .query(action: "AssumeRole", version: "2011-06-15", parameters: parameters),
                credentials: base,
                logger: logger
            )
        } catch {
            throw explain(error)
        }
        guard let credentials = Self.parseCredentials(response.body) else {
            throw AWSError(
                kind: .invalidResponse, code: "InvalidResponse", message: "STS AssumeRole answered without credentials",
                requestId: response.requestId, attempts: response.attempts
            )
        }
        return credentials
    }

    /// The credentials in an AssumeRole response body; nil unless it has a `<Credentials>`
    /// element with a key id, a secret, a session token and an expiration that parses.
    static func parseCredentials(_ body: Data) -> Credentials? {
        guard let xml = XMLScanner(body), let credentials = xml.element("Credentials"),
            let id = credentials.value(of: "AccessKeyId"), let secret = credentials.value(of: "SecretAccessKey"),
            let token = credentials.value(of: "SessionToken"),
            let expiration = credentials.value(of: "Expiration").flatMap(Timestamp.parse)
        else { return nil }
        return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    public func invalidate() async {
        await base.invalidate()
    }

    /// Says what a terminal STS refusal means for the operator.
    private func explain(_ error: AWSError) -> AWSError {
        var explained = error
        switch error.code {
        case "AccessDenied", "AccessDeniedException":
            explained.message =
                "the role's trust policy refused this delegate; check the external ID and that the trust policy names this delegate's identity (\(roleArn)): \(error.message)"
            explained.retryable = false
        case "MalformedPolicyDocument", "MalformedPolicyDocumentException":
            explained.message = "STS refused the session policy for \(roleArn): \(error.message)"
            explained.retryable = false
        case "RegionDisabledException":
            explained.message = "STS is not activated in this region for the account of \(roleArn): \(error.message)"
            explained.retryable = false
        default:
            break
        }
        return explained
    }
}
