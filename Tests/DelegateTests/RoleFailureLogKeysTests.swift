import AWSCredentials
import Logging
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A producer's flood of inline connectors' failing roles does not hide a named connector's role
/// failing at the same time: each named connector's session is rate-limited under its own key.
@Suite struct RoleFailureLogKeysTests {
    static let named = "arn:aws:iam::123456789012:role/named"

    static func configuration(role: String, stsEndpoint: String = "") throws -> DelegateConfiguration {
        try DelegateConfiguration.load(
            tomlText: """
                [aws]
                sts_endpoint = "\(stsEndpoint)"
                [connectors.prod]
                region = "us-east-1"
                credentials = { type = "assumeRole", role_arn = "\(role)", external_id = "the-named-one" }
                """, environment: [:], hostName: "h")
    }

    /// A failure's metadata as the session's provider logs it.
    static func failure(_ arn: String, externalID: String? = "the-named-one", region: String = "us-east-1")
        -> Logger.Metadata
    {
        let role = AssumeRoleCredentials(roleARN: arn, externalID: externalID)
        return [
            "event": "credentials-refresh-failed",
            "credential_source": "\(AssumeRoleSource.name(of: role, region: region))",
        ]
    }

    @Test func aNamedRoleIsNotHiddenByAFloodOfInlineOnes() throws {
        let keys = RoleFailureLogKeys(try Self.configuration(role: Self.named))
        let limiter = LogRateLimiter()
        let recorder = LogRecorder()
        let logger = recorder.logger()
        // Inline sessions: other roles, and the named role's ARN with another external id.
        for index in 0..<10 {
            let metadata =
                index.isMultiple(of: 2)
                ? Self.failure("arn:aws:iam::123456789012:role/inline-\(index)")
                : Self.failure(Self.named, externalID: "guessed-\(index)")
            limiter.warning("credentials refresh failed", metadata: metadata, key: keys.key(for: metadata), logger: logger)
        }
        let named = Self.failure(Self.named)
        limiter.warning("named refresh failed", metadata: named, key: keys.key(for: named), logger: logger)
        #expect(recorder.records.filter { $0.contains("credentials refresh failed") }.count == 3, "\(recorder.records)")
        #expect(recorder.records.contains { $0.contains("named refresh failed") }, "\(recorder.records)")

        #expect(keys.key(for: named) != RoleFailureLogKeys.shared)
        for inline in [
            Self.failure(Self.named, externalID: "another"), Self.failure(Self.named, externalID: nil),
            Self.failure(Self.named, region: "eu-west-1"), Self.failure("arn:aws:iam::123456789012:role/other"),
            ["credential_source": "imds"], [:],
        ] as [Logger.Metadata] {
            #expect(keys.key(for: inline) == RoleFailureLogKeys.shared, "\(inline)")
        }
    }

    /// An Amazon STS host of another region signs (and names) the named session for its region.
    @Test func theSessionIsNamedForTheRegionItsSTSCallsAreSignedFor() throws {
        let keys = RoleFailureLogKeys(
            try Self.configuration(role: Self.named, stsEndpoint: "https://sts.eu-west-1.amazonaws.com"))
        #expect(keys.key(for: Self.failure(Self.named, region: "eu-west-1")) != RoleFailureLogKeys.shared)
        #expect(keys.key(for: Self.failure(Self.named, region: "us-east-1")) == RoleFailureLogKeys.shared)
    }

    /// A reload's connectors decide: a role no longer named shares the key again.
    @Test func aReloadChangesWhichRolesAreNamed() throws {
        let keys = RoleFailureLogKeys(try Self.configuration(role: Self.named))
        keys.update(try Self.configuration(role: "arn:aws:iam::123456789012:role/renamed"))
        #expect(keys.key(for: Self.failure(Self.named)) == RoleFailureLogKeys.shared)
        #expect(keys.key(for: Self.failure("arn:aws:iam::123456789012:role/renamed")) != RoleFailureLogKeys.shared)
    }
}
