import AWSCore
import AWSCredentials
import Foundation
import HTTP
import Logging
import SigV4
import TestSupport
import Synchronization
import Testing

/// What a reload changes in the registry: the identity and the credential directories are
/// replaced in place, and nothing cached under the old identity is served again.
@Suite struct CredentialProviderRegistryTests {
    let logger = Logger(label: "test.registry")

    func identity(_ server: IMDSServer, http: any HTTPClient) -> IdentityProvider {
        IdentityProvider(
            sources: [.imds], environment: [:], imds: imdsSource(server, http: http), clock: SystemWallClock())
    }

    func registry(
        identity: IdentityProvider, refStore: CredentialRefStore, http: any HTTPClient,
        namedRoles: Set<CredentialProviderRegistry.RoleSession> = [],
        roleFailureLog: CredentialProviderRegistry.RoleFailureLog? = nil
    ) -> CredentialProviderRegistry {
        CredentialProviderRegistry(
            identity: identity, refStore: refStore, delegateName: "registry-test", roleFailureLog: roleFailureLog,
            namedRoles: namedRoles,
            stsClient: { region in
                AWSClient(
                    endpoint: AWSServiceEndpoint(signingName: "sts", region: region, url: "http://127.0.0.1:9"),
                    httpClient: http)
            })
    }

    /// A registry for role sessions alone: no identity (nothing in the environment, IMDS at a
    /// closed port), so a test can tell sessions apart without assuming any.
    func roleRegistry(
        _ http: ScriptedHTTPClient, namedRoles: Set<CredentialProviderRegistry.RoleSession> = [],
        roleFailureLog: CredentialProviderRegistry.RoleFailureLog? = nil
    ) -> CredentialProviderRegistry {
        registry(
            identity: IdentityProvider(
                sources: [.environment], environment: [:],
                imds: IMDSCredentialSource(
                    http: http, endpoint: "http://127.0.0.1:9", environment: [:], clock: SystemWallClock()),
                clock: SystemWallClock()),
            refStore: CredentialRefStore(directories: []), http: http, namedRoles: namedRoles,
            roleFailureLog: roleFailureLog)
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    @Test func aReplacedIdentityServesItsOwnCredentialsAndForgetsAssumedRoles() async throws {
        let expiration = Date().addingTimeInterval(3600)
        let old = try IMDSServer(credentials: fakeCredentials("old"), expiration: expiration)
        let new = try IMDSServer(credentials: fakeCredentials("new"), expiration: expiration)
        defer {
            old.stop()
            new.stop()
        }
        let http = try loopbackHTTPClient()
        let registry = registry(
            identity: identity(old, http: http), refStore: CredentialRefStore(directories: []), http: http)
        let role = CredentialSpec.assumeRole(
            AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/sm", externalID: nil, durationSeconds: 3600))

        let before = try registry.resolve(.instanceRole, region: "us-east-1").provider
        #expect(try await before.credentials(logger: logger).accessKeyId == "ASIAFAKEold")
        let roleBefore = try #require(
            try registry.resolve(role, region: "us-east-1").provider as? CachingCredentialProvider)
        #expect(try registry.resolve(role, region: "us-east-1").provider as? CachingCredentialProvider === roleBefore)

        registry.replaceIdentity(identity(new, http: http))

        let after = try registry.resolve(.instanceRole, region: "us-east-1").provider
        #expect(try await after.credentials(logger: logger).accessKeyId == "ASIAFAKEnew")
        #expect(old.counts.credentialGETs == 1)
        #expect(new.counts.credentialGETs == 1)
        let roleAfter = try #require(
            try registry.resolve(role, region: "us-east-1").provider as? CachingCredentialProvider)
        #expect(roleAfter !== roleBefore)
        #expect(await registry.snapshots().first?.source == "imds")
    }

    /// The status lists the sessions held or failed: IMDS, a source the environment's keys serve
    /// before (the default order), is never asked, and is not listed as if it were the identity
    /// in use; once asked (the keys gone), it is.
    /// An assumed-role session's failed refresh is logged through the registry's `roleFailureLog`
    /// (the daemon's rate limit: an inline connector's task chooses its role and external id, so
    /// how many sessions fail), not straight to the logger.
    @Test func anAssumedRolesFailedRefreshGoesThroughTheRoleFailureLog() async throws {
        let imds = try IMDSServer(credentials: fakeCredentials("base"), expiration: Date().addingTimeInterval(3600))
        defer { imds.stop() }
        let http = try loopbackHTTPClient()
        let closed = try #require(LoopbackPorts.ClosedPort())
        defer { closed.close() }
        let routed = Mutex<[String]>([])
        let recorder = LogRecorder()
        let registry = CredentialProviderRegistry(
            identity: identity(imds, http: http), refStore: CredentialRefStore(directories: []),
            delegateName: "registry-test", logger: recorder.logger(),
            roleFailureLog: { message, metadata, _, _ in
                routed.withLock { $0.append("\(metadata["event"] ?? "-") \(message)") }
            },
            stsClient: { region in
                AWSClient(
                    endpoint: AWSServiceEndpoint(
                        signingName: "sts", region: region, url: "http://127.0.0.1:\(closed.port)"),
                    options: AWSClientOptions(maxAttempts: 1), httpClient: http)
            })
        for externalID in ["id-1", "id-2"] {
            let role = CredentialSpec.assumeRole(
                AssumeRoleCredentials(
                    roleARN: "arn:aws:iam::123456789012:role/sm", externalID: externalID, durationSeconds: 3600))
            await #expect(throws: AWSError.self) {
                _ = try await registry.resolve(role, region: "us-east-1").provider.credentials(
                    logger: recorder.logger())
            }
        }
        let lines = routed.withLock { $0 }
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("credentials-refresh-failed ") }, "\(lines)")
        #expect(!recorder.records.contains { $0.contains("credentials-refresh-failed") }, "\(recorder.records)")
    }

    @Test func aSourceNeverAskedIsNotListed() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        let http = try loopbackHTTPClient()
        func registry(environment: [String: String]) -> CredentialProviderRegistry {
            self.registry(
                identity: IdentityProvider(
                    sources: [.environment, .imds], environment: environment, imds: imdsSource(server, http: http),
                    clock: SystemWallClock()),
                refStore: CredentialRefStore(directories: []), http: http)
        }
        let keys = registry(environment: ["AWS_ACCESS_KEY_ID": "AKIDENVIRONMENT", "AWS_SECRET_ACCESS_KEY": "unused"])
        #expect(
            try await keys.resolve(.instanceRole, region: "us-east-1").provider.credentials(logger: logger).accessKeyId
                == "AKIDENVIRONMENT")
        #expect(await keys.snapshots().isEmpty)
        let imds = registry(environment: [:])
        #expect(await imds.snapshots().isEmpty, "not asked yet")
        #expect(
            try await imds.resolve(.instanceRole, region: "us-east-1").provider.credentials(logger: logger).accessKeyId
                == "ASIAFAKEimds")
        #expect(await imds.snapshots().map(\.source) == ["imds"])

        // Asked and failed, with nothing ever got: listed, with its error (IMDS down since boot).
        let down = self.registry(
            identity: IdentityProvider(
                sources: [.imds], environment: [:],
                imds: IMDSCredentialSource(http: http, endpoint: "http://127.0.0.1:9", clock: SystemWallClock()),
                clock: SystemWallClock()),
            refStore: CredentialRefStore(directories: []), http: http)
        await #expect(throws: (any Error).self) {
            try await down.resolve(.instanceRole, region: "us-east-1").provider.credentials(logger: logger)
        }
        let failed = await down.snapshots()
        #expect(failed.map(\.source) == ["imds"] && failed.first?.lastError != nil, "\(failed)")
    }

    /// A key id read from a file has a key id's shape, as one given plain must: a secret key in
    /// its place (refs mixed up) would be sent in the clear in every Authorization header.
    /// (One without `/` or `+`, as about one secret key in four is, is refused too: 40 characters
    /// with a lowercase letter, which no AWS key id has.)
    @Test(arguments: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12"])
    func aKeyIDRefHoldingASecretKeyIsRefused(secretKey: String) throws {
        let directory = try TemporaryDirectory()
        for (name, value) in [
            ("key-id", secretKey + "\n"), ("secret-key", "AKIAREFEXAMPLE\n"),
        ] {
            try Data(value.utf8).write(to: URL(fileURLWithPath: directory.path(name)))
            #expect(chmod(directory.path(name), 0o600) == 0)
        }
        let http = ScriptedHTTPClient()
        let keys = registry(
            identity: IdentityProvider(
                sources: [.environment], environment: [:],
                imds: IMDSCredentialSource(http: http, endpoint: "http://127.0.0.1:9", clock: SystemWallClock()),
                clock: SystemWallClock()),
            refStore: CredentialRefStore(directories: [directory.url.path]), http: http)
        let error = #expect(throws: AWSError.self) {
            try keys.resolve(
                .accessKey(
                    AccessKeyCredentials(
                        accessKeyID: .ref("key-id"), secretAccessKeyRef: "secret-key", sessionTokenRef: nil)),
                region: "us-east-1"
            ).provider
        }
        #expect(error?.code == .credentialsUnavailable)
        #expect(error?.message.contains("'key-id' is no access key id") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("K7MDENG") == false)
    }

    /// An inline connector's task chooses its role: a stream of new roles pushes out only the
    /// sessions nobody uses, never one in steady use (which would cost an AssumeRole each time).
    @Test func theRoleCacheKeepsTheSessionsInUse() throws {
        let http = ScriptedHTTPClient()
        let registry = roleRegistry(http)
        func role(_ name: String) -> CredentialSpec {
            .assumeRole(
                AssumeRoleCredentials(
                    roleARN: "arn:aws:iam::123456789012:role/\(name)", externalID: nil, durationSeconds: 3600))
        }
        let busy = try #require(
            try registry.resolve(role("busy"), region: "us-east-1").provider as? CachingCredentialProvider)
        for index in 0..<(CredentialProviderRegistry.maxCachedRoles * 2) {
            _ = try registry.resolve(role("inline-\(index)"), region: "us-east-1").provider
            if index % 50 == 0 {
                #expect(
                    try registry.resolve(role("busy"), region: "us-east-1").provider as? CachingCredentialProvider
                        === busy)
            }
        }
        #expect(try registry.resolve(role("busy"), region: "us-east-1").provider as? CachingCredentialProvider === busy)
        #expect(http.requests.isEmpty, "no session was assumed")
    }

    /// More roles than ``CredentialProviderRegistry/maxCachedRoles`` across named connectors,
    /// used in turn, keep their sessions (each would otherwise push out the next one needed, and
    /// every task assume its role again); a reload sizes the cache for the connectors then in force.
    @Test func namedConnectorsRolesAreKeptBesidesTheInlineOnes() throws {
        let http = ScriptedHTTPClient()
        let count = CredentialProviderRegistry.maxCachedRoles + 44
        func assumed(_ index: Int) -> AssumeRoleCredentials {
            AssumeRoleCredentials(
                roleARN: "arn:aws:iam::123456789012:role/tenant-\(index)", externalID: nil, durationSeconds: 3600)
        }
        func role(_ index: Int) -> CredentialSpec { .assumeRole(assumed(index)) }
        let registry = roleRegistry(
            http, namedRoles: Set((0..<count).map { .init(role: assumed($0), region: "us-east-1") }))
        func sessions() throws -> [CachingCredentialProvider] {
            try (0..<count).map {
                try #require(try registry.resolve(role($0), region: "us-east-1").provider as? CachingCredentialProvider)
            }
        }
        let first = try sessions()
        let again = try sessions()
        #expect(zip(first, again).allSatisfy { $0 === $1 }, "every session kept through a round")
        // Sized again at a reload: with no named roles, a round of as many pushes each out.
        registry.forgetRoles(keeping: [])
        let fewer = try sessions()
        let fewerAgain = try sessions()
        #expect(zip(fewer, fewerAgain).allSatisfy { $0 !== $1 }, "at 256, a round of more pushes out the next one")
    }

    @Test func aReplacedRefStoreIsReadFromTheNextProvider() async throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        try write("secret-from-first", to: first.path("secret-key"))
        try write("secret-from-second", to: second.path("secret-key"))
        let http = try loopbackHTTPClient()
        let registry = registry(
            identity: IdentityProvider(
                sources: [.environment], environment: [:], imds: IMDSCredentialSource(http: http),
                clock: SystemWallClock()),
            refStore: CredentialRefStore(directories: [first.url.path]), http: http)
        let spec = CredentialSpec.accessKey(
            AccessKeyCredentials(accessKeyID: .plain("AKIAREF"), secretAccessKeyRef: "secret-key", sessionTokenRef: nil)
        )

        #expect(
            try await registry.resolve(spec, region: "us-east-1").provider.credentials(logger: logger).secretAccessKey
                == "secret-from-first")
        registry.replaceRefStore(CredentialRefStore(directories: [second.url.path]))
        #expect(registry.refStore.directories == [second.url.path])
        #expect(
            try await registry.resolve(spec, region: "us-east-1").provider.credentials(logger: logger).secretAccessKey
                == "secret-from-second")
    }

    /// A named connector's session logs its failed refreshes under its own name, handed to the
    /// failure log (the daemon rate-limits each named session apart, so a producer's flood of
    /// failing inline roles cannot hide it); every inline session, the named role's ARN with
    /// another external id, duration or region included, hands none. A reload's sessions decide.
    @Test func aNamedSessionsFailuresAreLoggedUnderItsName() async throws {
        let named = CredentialProviderRegistry.RoleSession(
            role: AssumeRoleCredentials(
                roleARN: "arn:aws:iam::123456789012:role/named", externalID: "the-named-one", durationSeconds: 3600),
            region: "us-east-1")
        let logged = Mutex<[String?]>([])
        let registry = roleRegistry(
            ScriptedHTTPClient(), namedRoles: [named],
            roleFailureLog: { _, metadata, name, _ in
                #expect(metadata["event"] == "credentials-refresh-failed")
                logged.withLock { $0.append(name) }
            })
        // No identity to assume roles with: every refresh fails.
        func lastLogged(_ role: AssumeRoleCredentials, region: String = "us-east-1") async throws -> String?? {
            let provider = try registry.resolve(.assumeRole(role), region: region).provider
            _ = try? await provider.credentials(logger: logger)
            return logged.withLock { $0.last }
        }
        let name = try #require(try await lastLogged(named.role) ?? nil, "the named session's failure names it")
        #expect(name.contains("arn:aws:iam::123456789012:role/named") && name.contains("us-east-1"), "\(name)")
        let arn = named.role.roleARN
        for (role, region) in [
            (AssumeRoleCredentials(roleARN: arn, externalID: "guessed", durationSeconds: 3600), "us-east-1"),
            (AssumeRoleCredentials(roleARN: arn, externalID: nil, durationSeconds: 3600), "us-east-1"),
            (AssumeRoleCredentials(roleARN: arn, externalID: "the-named-one", durationSeconds: 900), "us-east-1"),
            (named.role, "eu-west-1"),
            (AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/other", externalID: nil), "us-east-1"),
        ] {
            #expect(try await lastLogged(role, region: region) == .some(nil), "\(role) in \(region)")
        }

        let renamed = CredentialProviderRegistry.RoleSession(
            role: AssumeRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/renamed", externalID: nil),
            region: "us-east-1")
        registry.forgetRoles(keeping: [renamed])
        #expect(try await lastLogged(named.role) == .some(nil), "no longer named after the reload")
        #expect(try await lastLogged(renamed.role)??.contains("role/renamed") == true)
        #expect(logged.withLock { $0.count } == 8, "one failure logged per session")
    }
}
