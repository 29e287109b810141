import AWSCore
import AWSCredentials
import Foundation
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

/// The instance role end to end: moto issues a role's temporary credentials, the test IMDS hands
/// them out, and Secrets Manager calls signed with them pass moto's signature and IAM checks.
@Suite struct IMDSMotoTests {
    let logger = Logger(label: "test.imds-moto")

    @Test func callsSignedWithIMDSCredentialsPassMotosChecks() async throws {
        let roles = try await MotoRoles.make()
        let issued = try await roles.instanceRoleCredentials(allowing: MotoServer.fullPolicyActions)
        let clock = ManualClock(Date())
        let server = try IMDSServer(credentials: issued, expiration: clock.now().addingTimeInterval(3600))
        let recorder = LogRecorder()
        let identity = IdentityProvider(
            sources: [.environment, .imds], environment: [:],
            imds: imdsSource(server, http: roles.moto.httpClient, clock: clock), clock: clock)
        #expect(identity.sourceNames == ["imds"], "no AWS_* variables: the environment source is skipped")

        let sm = SecretsManagerClient(
            aws: roles.harness.awsClient(), credentials: identity, namePrefix: roles.harness.prefix)
        let created = try await sm.createSecret(
            .init(name: "via-imds", value: .string("s3cr3t")), taskID: "imds-1", logger: recorder.logger())
        #expect(created.value.name == "\(roles.harness.prefix)/via-imds")
        #expect(try await sm.getSecretValue(name: "via-imds", logger: logger).value.secretString == "s3cr3t")
        #expect(server.counts.credentialGETs == 1, "the second call used the cache")

        // IMDS goes away and the credentials expire: calls keep working on the extended keys.
        server.setMode(.down)
        clock.advance(by: 3600 + 30)
        #expect(try await sm.getSecretValue(name: "via-imds", logger: recorder.logger()).value.secretString == "s3cr3t")
        #expect(recorder.records.contains { $0.hasPrefix("warning") && $0.contains("static-stability-engaged") })
        #expect(!recorder.allText.contains(issued.secretAccessKey))
        #expect(!recorder.allText.contains(issued.sessionToken ?? "-"))
    }

    @Test func aReadOnlyInstanceRoleCannotCreate() async throws {
        let roles = try await MotoRoles.make()
        let issued = try await roles.instanceRoleCredentials(allowing: MotoServer.readOnlyPolicyActions)
        let server = try IMDSServer(credentials: issued, expiration: Date().addingTimeInterval(3600))
        let identity = IdentityProvider(
            sources: [.imds], environment: [:], imds: imdsSource(server, http: roles.moto.httpClient),
            clock: SystemWallClock())
        let sm = SecretsManagerClient(
            aws: roles.harness.awsClient(), credentials: identity, namePrefix: roles.harness.prefix)
        _ = try await sm.listSecrets(logger: logger)
        let error = await #expect(throws: AWSError.self) {
            try await sm.createSecret(.init(name: "nope", value: .string("v")), taskID: "ro", logger: logger)
        }
        #expect(error?.code == .accessDeniedException)
    }
}
