import AWSCore
import AWSCredentials
import Foundation
import Logging
import SecretsManager
import SigV4
import TestSupport
import Testing

/// STS AssumeRole against moto with signature checking and IAM policies on.
///
/// moto 5.2.1 evaluates the role's trust policy on AssumeRole (the principal must match and
/// `sts:ExternalId` conditions are checked against the request's `ExternalId`; see
/// moto/iam/access_control.py `_check_role_trust_relationship`), checks that the caller may call
/// `sts:AssumeRole`, and evaluates the assumed role's own policies for every call signed with the
/// temporary credentials. So all of this runs against moto, not a stub. One gap: moto lets a
/// request with no `ExternalId` at all through a `StringEquals` `sts:ExternalId` condition
/// (AWS refuses it), so the missing-ID case is tested against the stub in `AssumeRoleStubTests`.
@Suite struct AssumeRoleMotoTests {
    let logger = Logger(label: "test.assume-role")

    func assumeRole(_ arn: String, externalId: String?, duration: Int = 900) -> CredentialSpec {
        .assumeRole(AssumeRoleCredentials(roleARN: arn, externalID: externalId, durationSeconds: duration))
    }

    @Test func theRightExternalIDWorksAndTheRolesPermissionsApply() async throws {
        let roles = try await MotoRoles.make()
        // The delegate's identity may only assume roles; the role may only read.
        let identity = try await roles.identity()
        let roleArn = try await roles.role(allowing: MotoServer.readOnlyPolicyActions, trusting: identity)
        let registry = try roles.registry(identity: identity.credentials, sts: roles.sts())

        let provider = try registry.resolve(
            assumeRole(roleArn, externalId: MotoRoles.externalId), region: MotoServer.region
        ).provider
        let before = Date()
        let credentials = try await provider.credentials(logger: logger)
        #expect(credentials.accessKeyId != identity.credentials.accessKeyId)
        #expect(credentials.sessionToken?.isEmpty == false)
        let expiration = try #require(credentials.expiration)
        #expect(
            abs(expiration.timeIntervalSince(before) - 900) < 60, "the server's Expiration (now + 900 s) is honoured")

        // The same spec gives the same cached provider: one AssumeRole for every task.
        let again = try registry.resolve(
            assumeRole(roleArn, externalId: MotoRoles.externalId), region: MotoServer.region
        ).provider
        #expect(try await again.credentials(logger: logger) == credentials)

        // An administrator seeds a secret; the assumed read-only role reads it but cannot create one.
        let admin = SecretsManagerClient(
            aws: roles.harness.awsClient(),
            credentials: StaticCredentialProvider(try await roles.moto.createUser(allowing: ["secretsmanager:*"])),
            namePrefix: roles.harness.prefix)
        _ = try await admin.createSecret(.init(name: "seeded", value: .string("v")), taskID: "seed", logger: logger)

        let sm = SecretsManagerClient(
            aws: roles.harness.awsClient(), credentials: provider, namePrefix: roles.harness.prefix)
        #expect(try await sm.getSecretValue(name: "seeded", logger: logger).value.secretString == "v")
        let denied = await #expect(throws: AWSError.self) {
            try await sm.createSecret(.init(name: "new", value: .string("v")), taskID: "denied", logger: logger)
        }
        #expect(denied?.code == .accessDeniedException)

        // The identity itself may not read: the role's permissions are the ones that applied.
        let asIdentity = SecretsManagerClient(
            aws: roles.harness.awsClient(), credentials: StaticCredentialProvider(identity.credentials),
            namePrefix: roles.harness.prefix)
        let identityDenied = await #expect(throws: AWSError.self) {
            try await asIdentity.getSecretValue(name: "seeded", logger: logger)
        }
        #expect(identityDenied?.code == .accessDeniedException)
    }

    @Test func aWrongExternalIDIsAccessDeniedExplained() async throws {
        let roles = try await MotoRoles.make()
        let identity = try await roles.identity()
        let roleArn = try await roles.role(allowing: MotoServer.readOnlyPolicyActions, trusting: identity)
        let counting = ScriptedHTTPClient(forwardingTo: roles.moto.httpClient)
        let registry = try roles.registry(identity: identity.credentials, sts: roles.sts(http: counting))

        for externalId in ["ext-wrong", "EXT-7F3A"] {
            let before = counting.requests.count
            let provider = try registry.resolve(
                assumeRole(roleArn, externalId: externalId), region: MotoServer.region
            ).provider
            let error = await #expect(throws: AWSError.self) { try await provider.credentials(logger: logger) }
            #expect(error?.code == .accessDenied)
            #expect(
                error?.message.contains("STS refused this delegate the role: check the external ID") == true)
            #expect(error?.message.contains(roleArn) == true)
            #expect(error?.retryable == false)
            #expect(counting.requests.count - before == 1, "AccessDenied is terminal: no retry")
            #expect(error?.description.contains(identity.credentials.secretAccessKey) == false)
        }

        // A role trusting someone else refuses this delegate even with the right external ID.
        let other = try await roles.identity()
        let othersRole = try await roles.role(allowing: MotoServer.readOnlyPolicyActions, trusting: other)
        let refused = try registry.resolve(
            assumeRole(othersRole, externalId: MotoRoles.externalId), region: MotoServer.region
        ).provider
        let error = await #expect(throws: AWSError.self) { try await refused.credentials(logger: logger) }
        #expect(error?.code == .accessDenied)
    }

    @Test func durationsOutsideTheSTSRangeAreRefusedBeforeAnyCall() async throws {
        let roles = try await MotoRoles.make()
        let counting = ScriptedHTTPClient(forwardingTo: roles.moto.httpClient)
        let registry = try roles.registry(
            identity: try await roles.identity().credentials, sts: roles.sts(http: counting))
        let roleArn = "arn:aws:iam::\(MotoServer.accountID):role/never-assumed"
        for duration in [899, 43_201, 0, -1] {
            let error = #expect(throws: AWSError.self) {
                try registry.resolve(
                    assumeRole(roleArn, externalId: MotoRoles.externalId, duration: duration),
                    region: MotoServer.region
                ).provider
            }
            #expect(error?.kind == .validation)
            #expect(error?.message.contains("900-43200") == true)
        }
        for externalId in ["x", String(repeating: "e", count: 1225)] {
            #expect(throws: AWSError.self) {
                try registry.resolve(assumeRole(roleArn, externalId: externalId), region: MotoServer.region).provider
            }
        }
        #expect(throws: AWSError.self) {
            try registry.resolve(assumeRole("not-an-arn", externalId: nil), region: MotoServer.region).provider
        }
        #expect(counting.requests.count == 0, "nothing was sent")
        // The edges are allowed, and making a provider sends nothing either.
        for duration in [900, 43_200] {
            _ = try registry.resolve(
                assumeRole(roleArn, externalId: MotoRoles.externalId, duration: duration),
                region: MotoServer.region
            ).provider
        }
        #expect(counting.requests.count == 0)
    }

    @Test func anIdentityWithoutSTSPermissionIsRefused() async throws {
        let roles = try await MotoRoles.make()
        let identity = try await roles.identity(allowing: ["secretsmanager:ListSecrets"])
        let roleArn = try await roles.role(allowing: MotoServer.readOnlyPolicyActions, trusting: identity)
        let registry = try roles.registry(identity: identity.credentials, sts: roles.sts())
        let provider = try registry.resolve(
            assumeRole(roleArn, externalId: MotoRoles.externalId), region: MotoServer.region
        ).provider
        let error = await #expect(throws: AWSError.self) { try await provider.credentials(logger: logger) }
        #expect(error?.code == .accessDenied)
        #expect(error?.retryable == false)
    }
}
