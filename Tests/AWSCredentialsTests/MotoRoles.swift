import AWSCore
import AWSCredentials
import Foundation
import HTTP
import Logging
import SigV4
import TestSupport

/// IAM roles and users on the shared moto server for one test, and STS calls against it.
struct MotoRoles {
    static let externalId = "ext-7f3a"

    let harness: MotoHarness
    var moto: MotoServer { harness.moto }

    static func make() async throws -> MotoRoles {
        MotoRoles(harness: try await MotoHarness.make())
    }

    /// A trust policy letting `principal` assume the role, only with `externalId` when one is
    /// given (the `sts:ExternalId` condition). moto checks both on every AssumeRole.
    static func trustPolicy(principal: String, externalId: String?) -> String {
        let condition = externalId.map { #","Condition":{"StringEquals":{"sts:ExternalId":"\#($0)"}}"# } ?? ""
        return
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(principal)"},"Action":"sts:AssumeRole"\#(condition)}]}"#
    }

    /// A new role allowed `actions` that trusts `identity` with `externalId`.
    func role(
        allowing actions: [String], trusting identity: Identity, externalId: String? = MotoRoles.externalId
    ) async throws -> String {
        try await moto.createRole(
            name: "\(harness.prefix)-role-\(UUID().uuidString.prefix(6))",
            trustPolicy: Self.trustPolicy(principal: identity.arn, externalId: externalId), allowing: actions)
    }

    /// An IAM user: the delegate's own identity in these tests.
    struct Identity {
        var arn: String
        var credentials: Credentials
    }

    /// A new user allowed `actions` (by default only `sts:AssumeRole`).
    func identity(allowing actions: [String] = ["sts:AssumeRole"]) async throws -> Identity {
        let name = "\(harness.prefix)-user-\(UUID().uuidString.prefix(6))"
        let credentials = try await moto.createUser(allowing: actions, name: name)
        return Identity(arn: "arn:aws:iam::\(MotoServer.accountID):user/\(name)", credentials: credentials)
    }

    /// An STS client for moto, through `http` (moto's own client by default).
    func sts(http: (any HTTPClient)? = nil) -> AWSClient {
        harness.awsClient(service: "sts", http: http)
    }

    /// Temporary credentials of a role allowed `actions`, issued by moto's STS: what IMDS hands
    /// an instance whose profile holds that role.
    func instanceRoleCredentials(allowing actions: [String]) async throws -> Credentials {
        let instance = try await identity()
        let roleArn = try await role(allowing: actions, trusting: instance, externalId: nil)
        let source = try AssumeRoleSource(
            role: AssumeRoleCredentials(roleARN: roleArn, externalID: nil), delegateName: "instance",
            base: StaticCredentialProvider(instance.credentials), sts: sts())
        return try await source.fetch(logger: Logger(label: "test.moto.sts"))
    }

    /// A registry whose delegate identity is `identity` (by environment variables; IMDS off).
    func registry(
        identity: Credentials, sts: AWSClient, refStore: CredentialRefStore = CredentialRefStore(directories: []),
        clock: any WallClock = SystemWallClock()
    ) throws -> CredentialProviderRegistry {
        let environment = [
            "AWS_ACCESS_KEY_ID": identity.accessKeyId, "AWS_SECRET_ACCESS_KEY": identity.secretAccessKey,
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        let imds = IMDSCredentialSource(
            http: moto.httpClient, endpoint: "http://127.0.0.1:9", environment: environment, clock: clock)
        return CredentialProviderRegistry(
            identity: IdentityProvider(
                sources: [.environment, .imds], environment: environment, imds: imds, clock: clock),
            refStore: refStore, delegateName: "test-delegate", clock: clock, stsClient: { _ in sts })
    }
}
