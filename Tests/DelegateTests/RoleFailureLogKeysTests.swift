import Logging
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A producer's flood of inline connectors' failing roles does not hide a named connector's role
/// failing at the same time: each named role is rate-limited under its own key.
@Suite struct RoleFailureLogKeysTests {
    static let named = "arn:aws:iam::123456789012:role/named"

    static func configuration(role: String) throws -> DelegateConfiguration {
        try DelegateConfiguration.load(
            tomlText: """
                [connectors.prod]
                region = "us-east-1"
                credentials = { type = "assumeRole", role_arn = "\(role)" }
                """, environment: [:], hostName: "h")
    }

    static func failure(_ arn: String) -> Logger.Metadata {
        ["event": "credentials-refresh-failed", "credential_source": "assume-role:\(arn) (us-east-1, 3600 s)"]
    }

    @Test func aNamedRoleIsNotHiddenByAFloodOfInlineOnes() throws {
        let keys = RoleFailureLogKeys(try Self.configuration(role: Self.named))
        let limiter = LogRateLimiter()
        let recorder = LogRecorder()
        let logger = recorder.logger()
        for index in 0..<10 {
            let metadata = Self.failure("arn:aws:iam::123456789012:role/inline-\(index)")
            limiter.warning("credentials refresh failed", metadata: metadata, key: keys.key(for: metadata), logger: logger)
        }
        let named = Self.failure(Self.named)
        limiter.warning("credentials refresh failed", metadata: named, key: keys.key(for: named), logger: logger)
        #expect(recorder.records.filter { $0.contains("role/inline-") }.count == 3, "\(recorder.records)")
        #expect(recorder.records.contains { $0.contains("role/named") }, "\(recorder.records)")

        #expect(keys.key(for: named) == "credentials-refresh-failed \(Self.named)")
        #expect(keys.key(for: Self.failure("arn:aws:iam::123456789012:role/other")) == RoleFailureLogKeys.shared)
        #expect(keys.key(for: ["credential_source": "imds"]) == RoleFailureLogKeys.shared)
        #expect(keys.key(for: [:]) == RoleFailureLogKeys.shared)
    }

    /// A reload's connectors decide: a role no longer named shares the key again.
    @Test func aReloadChangesWhichRolesAreNamed() throws {
        let keys = RoleFailureLogKeys(try Self.configuration(role: Self.named))
        keys.update(try Self.configuration(role: "arn:aws:iam::123456789012:role/renamed"))
        #expect(keys.key(for: Self.failure(Self.named)) == RoleFailureLogKeys.shared)
        #expect(keys.key(for: Self.failure("arn:aws:iam::123456789012:role/renamed")) != RoleFailureLogKeys.shared)
    }
}
