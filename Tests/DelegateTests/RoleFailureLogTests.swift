import AWSCore
import AWSCredentials
import Logging
import Systemd
import TaskQueue
import TestSupport
import Testing

@testable import Delegate

/// A producer's flood of inline connectors' failing roles does not hide a named connector's role
/// failing at the same time: the daemon rate-limits each named connector's session under a key
/// of its own (`credentials-refresh-failed <session>`), every inline one under one shared key.
@Suite struct RoleFailureLogTests {
    static let named = "arn:aws:iam::123456789012:role/named"

    @Test func aNamedRoleIsNotHiddenByAFloodOfInlineOnes() async throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [queue]
                spool_dir = ""
                socket_path = ""
                [identity]
                sources = []
                [connectors.prod]
                region = "us-east-1"
                credentials = { type = "assumeRole", role_arn = "\(Self.named)", external_id = "the-named-one", duration_seconds = 900 }
                """,
            environment: [:], hostName: "role-failures")
        let recorder = LogRecorder()
        let logger = recorder.logger()
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: logger), logger: logger, logLimiter: LogRateLimiter(),
            clock: ManualClock(), httpClient: ScriptedHTTPClient())
        // No identity (`sources = []`): every session's refresh fails.
        func fail(_ role: AssumeRoleCredentials) async throws {
            let provider = try components.registry.resolve(.assumeRole(role), region: "us-east-1").provider
            _ = try? await provider.credentials(logger: logger)
        }
        // Inline sessions: other roles, and the named role's ARN with another external id.
        for index in 0..<10 {
            try await fail(
                index.isMultiple(of: 2)
                    ? AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/inline-\(index)", externalID: nil)
                    : AssumeRoleCredentials(roleARN: Self.named, externalID: "guessed-\(index)"))
        }
        try await fail(AssumeRoleCredentials(roleARN: Self.named, externalID: "the-named-one", durationSeconds: 900))
        let failures = recorder.records.filter { $0.contains("event=credentials-refresh-failed") }
        // The inline ones summarised after the limiter's first few; the named one logged whole.
        #expect(failures.count < 10, "\(failures)")
        // The named session is the only one of 900 s.
        #expect(failures.contains { $0.contains(Self.named + " (us-east-1, 900 s, external id ") }, "\(failures)")
        #expect(DelegateDaemon.Components.roleFailureKey(nil) == "credentials-refresh-failed")
        #expect(DelegateDaemon.Components.roleFailureKey("x") == "credentials-refresh-failed x")
    }
}
