import AWSCore
import FoundationEssentials
import Logging
import SigV4

/// STS AssumeRole from the delegate's own identity: `RoleArn`, optional `ExternalId`,
/// `DurationSeconds` and a `RoleSessionName` that says which delegate asked.
public struct AssumeRoleSource: CredentialSource {
    public let role: AssumeRoleCredentials
    public let sessionName: String
    public var roleArn: String { role.roleARN }
    /// `assume-role:<arn> (<region>, <duration> s[, external id <digest>])`: sessions of one role
    /// for another region, duration or external ID (an inline task's with a wrong one, say) are
    /// told apart in the status object and the journal.
    public let name: String

    private let base: any CredentialProvider
    private let sts: AWSClient

    /// Validates the role (`AssumeRoleCredentials.validate()`) before anything is sent.
    public init(
        role: AssumeRoleCredentials, delegateName: String, base: any CredentialProvider, sts: AWSClient
    ) throws(AWSError) {
        do {
            try role.validate()
        } catch {
            let limits = AssumeRoleCredentials.self
            throw AWSError.validation(
                .invalidTask,
                error.message() + " (AssumeRole takes durationSeconds "
                    + "\(limits.durationRange.lowerBound)-\(limits.durationRange.upperBound) and an externalId of "
                    + "\(limits.externalIDLength.lowerBound)-\(limits.externalIDLength.upperBound) characters)")
        }
        self.role = role
        self.name = Self.name(of: role, region: sts.endpoint.region)
        self.sessionName = Self.sessionName(for: delegateName)
        self.base = base
        self.sts = sts
    }

    /// How every such source's ``name`` starts (the delegate's own identity's never does).
    public static let namePrefix = "assume-role:"

    /// The source's ``name``. The external ID shows only as the first 8 hex digits of its SHA-256.
    static func name(of role: AssumeRoleCredentials, region: String) -> String {
        var details = "\(region), \(role.durationSeconds) s"
        if let externalID = role.externalID {
            let digest = (try? SHA256Digest.hexHash(externalID)).map { String($0.prefix(8)) } ?? "unknown"
            details += ", external id \(digest)"
        }
        return namePrefix + "\(role.roleARN) (\(details))"
    }

    /// `secrets-delegate-<name>` in STS's 2-64 characters of `[\w+=,.@-]`. A longer one is cut to
    /// 55 and ends in `-` and the first 8 hex digits of the name's SHA-256: names that differ only
    /// past the cut (`...-autoscale-07`, `...-08`) stay two sessions in CloudTrail and trust policies.
    public static func sessionName(for delegateName: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
        let cleaned = String(delegateName.map { allowed.contains($0) ? $0 : "-" })
        let whole = "secrets-delegate-\(cleaned)"
        guard whole.count > maximumSessionNameLength else { return whole }
        let digest = (try? SHA256Digest.hexHash(delegateName)).map { String($0.prefix(8)) } ?? "00000000"
        return whole.prefix(maximumSessionNameLength - 9) + "-" + digest
    }

    /// STS's limit for `RoleSessionName`.
    static let maximumSessionNameLength = 64

    public func fetch(logger: Logger) async throws(AWSError) -> Credentials {
        var parameters = [
            ("RoleArn", role.roleARN), ("RoleSessionName", sessionName),
            ("DurationSeconds", String(role.durationSeconds)),
        ]
        if let externalID = role.externalID { parameters.append(("ExternalId", externalID)) }
        let response: AWSResponse
        do {
            // The external id is kept out of status and the journal (``name(of:)``): out of STS's
            // messages too, should an endpoint quote it.
            var call = AWSCall.query(action: "AssumeRole", version: "2011-06-15", parameters: parameters)
            call.sensitiveValues = role.externalID.map { [$0] } ?? []
            response = try await sts.send(
                call,
                credentials: base,
                logger: logger
            )
        } catch {
            throw explain(error)
        }
        guard var credentials = Self.parseCredentials(response.body) else {
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse, message: "STS AssumeRole answered without credentials",
                requestId: response.requestId, attempts: response.attempts
            )
        }
        if let problem = CredentialText.problem(
            in: credentials, names: ("AccessKeyId", "SecretAccessKey", "SessionToken"))
        {
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse,
                message: "STS AssumeRole answered credentials whose \(problem)", requestId: response.requestId,
                attempts: response.attempts)
        }
        // The expiration is AWS's time; the cache compares it with this host's clock. With the
        // clock ahead of AWS by more than a session's lifetime, every session would count as
        // expired on arrival (one AssumeRole per task): the skew the STS client learned moves it
        // onto this host's clock. (An offset learned before an NTP step may keep a session past
        // its end; AWS's ExpiredToken then drops it, and the retry learns the new offset.)
        // A session already at its end (a misbehaving endpoint; STS's shortest is 15 minutes)
        // would be cached and signed with by every task waiting on this fetch, then fetched again
        // for each: refused (judged by AWS's clock, as far as the client knows it). IMDS's are
        // kept a while instead: it hands out expired ones only when it cannot refresh them.
        if let expiration = credentials.expiration,
            expiration <= sts.serverTime().addingTimeInterval(RefreshPolicy.expirySafetyMargin)
        {
            throw AWSError(
                kind: .invalidResponse, code: .invalidResponse,
                message: "STS AssumeRole handed out a session that ends at \(Timestamp.format(expiration)), "
                    + "already past (or within seconds) by AWS's clock",
                requestId: response.requestId, retryable: true, attempts: response.attempts)
        }
        credentials.expiration = credentials.expiration?.addingTimeInterval(-sts.clockSkew.currentOffset)
        return credentials
    }

    /// The credentials in an AssumeRole response body; nil unless it has a `<Credentials>`
    /// element with a key id, a secret, a session token (none of them empty, as IMDS's answer is
    /// held to) and an expiration that parses.
    static func parseCredentials(_ body: Data) -> Credentials? {
        guard let xml = XMLScanner(body), let credentials = xml.element("Credentials"),
            let id = credentials.value(of: "AccessKeyId"), let secret = credentials.value(of: "SecretAccessKey"),
            let token = credentials.value(of: "SessionToken"),
            !id.isEmpty, !secret.isEmpty, !token.isEmpty,
            let expiration = credentials.value(of: "Expiration").flatMap(Timestamp.parse)
        else { return nil }
        return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    /// Says what a terminal STS refusal means for the operator.
    private func explain(_ error: AWSError) -> AWSError {
        var explained = error
        switch error.code {
        case .accessDenied, .accessDeniedException:
            // STS answers alike whichever side refused: the role's trust policy, or the caller's
            // own permissions (a role in another account needs sts:AssumeRole granted to the
            // caller too; an SCP or a permissions boundary may deny it).
            explained.message =
                "STS refused this delegate the role: check the external ID and that the trust policy of \(roleArn) names this delegate's identity as a principal, and, for a role in another account, that this delegate's own identity may call sts:AssumeRole on it (no SCP or permissions boundary denying it): \(error.message)"
            explained.retryable = false
        case .malformedPolicyDocument, .malformedPolicyDocumentException:
            explained.message = "STS refused the session policy for \(roleArn): \(error.message)"
            explained.retryable = false
        case .validationError where role.durationSeconds > 3600:
            // The usual cause: the delegate's identity is itself a role session (instance-role
            // credentials, an SSO or assumed role in the environment), and STS caps a session
            // assumed with one (role chaining) at an hour; a role's MaxSessionDuration caps it too.
            explained.message =
                "STS refused durationSeconds \(role.durationSeconds) for \(roleArn): a role assumed with role-session credentials (the instance role's, say: role chaining) lasts at most 3600 s, and no session lasts longer than the role's MaxSessionDuration; give durationSeconds 3600 or less: \(error.message)"
            explained.retryable = false
        case .regionDisabledException:
            explained.message = "STS is not activated in this region for the account of \(roleArn): \(error.message)"
            explained.retryable = false
        default:
            break
        }
        return explained
    }
}
