import AWSCore
import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@testable import AWSCredentials
@testable import Delegate
@testable import TaskQueue

/// A cached value is served only to the principal that read it (section 14): another may read
/// less. A connector's table fixes its principal (a reload that changes it drops its entries);
/// these are the two ways the principal changes without the table changing.
@Suite struct CachePrincipalTests {
    /// An access key whose id is read from a file: the file replaced under a running delegate
    /// is another key, and what the old key read is neither answered nor served stale to it.
    @Test func anAccessKeysEntryIsServedOnlyToTheKeyIDThatReadIt() async throws {
        let directory = try TemporaryDirectory(prefix: "cache-principal")
        func keyID(_ id: String) throws {
            // A new file (a new inode), as an operator's `mv` puts one in place.
            let staged = directory.path("keyed-id.new")
            try Data(id.utf8).write(to: URL(fileURLWithPath: staged))
            chmod(staged, 0o600)
            rename(staged, directory.path("keyed-id"))
        }
        try keyID("AKIDFIRSTKEY")
        try Data("keyed-test-secret-key".utf8).write(to: URL(fileURLWithPath: directory.path("keyed-secret")))
        chmod(directory.path("keyed-secret"), 0o600)
        let fixture = ReadCacheFixture(ttl: 60, stale: 600, credentialsDirectory: directory.url.path)
        fixture.fake.put("devops/db", "first")

        let first = try await fixture.run("keyed")
        #expect(first.status == .succeeded, "\(first.error?.message ?? "")")
        #expect(try await fixture.run("keyed").cached == true)
        #expect(fixture.fake.calls("GetSecretValue") == 1)

        try keyID("AKIDSECONDKEY")
        fixture.fake.put("devops/db", "second")
        let second = try await fixture.run("keyed")
        #expect(second.status == .succeeded, "\(second.error?.message ?? "")")
        #expect(second.secretText == "second")
        #expect(second.cached == false)
        #expect(fixture.fake.calls("GetSecretValue") == 2)
        // The new key's read is kept for it.
        #expect(try await fixture.run("keyed").cached == true)
        #expect(fixture.fake.calls("GetSecretValue") == 2)

        // Back to the first key, past the TTL, with Secrets Manager unreachable: the entry the
        // second key read is not served stale to the first.
        try keyID("AKIDFIRSTKEY")
        fixture.clock.advance(by: 90)
        fixture.fake.setMode(.unreachable)
        let unreachable = try await fixture.run("keyed")
        #expect(unreachable.status == .failed)
        #expect(unreachable.error?.code == .endpointUnreachable)
        #expect(unreachable.secretText == nil)
        // The key that read it still is served it stale.
        try keyID("AKIDSECONDKEY")
        let stale = try await fixture.run("keyed")
        #expect(stale.status == .succeeded, "\(stale.error?.message ?? "")")
        #expect(stale.stale == true)
        #expect(stale.secretText == "second")
    }

    /// A key id file gone: the task fails for its credentials as an uncached connector's does,
    /// and nothing cached is served.
    @Test func anAccessKeyThatCannotBeReadIsServedNothingCached() async throws {
        let directory = try TemporaryDirectory(prefix: "cache-principal-gone")
        for (name, value) in [("keyed-id", "AKIDFIRSTKEY"), ("keyed-secret", "keyed-test-secret-key")] {
            try Data(value.utf8).write(to: URL(fileURLWithPath: directory.path(name)))
            chmod(directory.path(name), 0o600)
        }
        let fixture = ReadCacheFixture(ttl: 60, credentialsDirectory: directory.url.path)
        fixture.fake.put("devops/db", "first")
        #expect(try await fixture.run("keyed").status == .succeeded)

        try FileManager.default.removeItem(atPath: directory.path("keyed-id"))
        let gone = try await fixture.run("keyed")
        #expect(gone.status == .failed)
        #expect(gone.error?.code == .credentialsUnavailable, "\(gone.error?.message ?? "")")
        #expect(gone.error?.message.contains("keyed-id") == true, "\(gone.error?.message ?? "")")
        #expect(gone.cached == false)
        #expect(fixture.fake.calls("GetSecretValue") == 1)
    }

    /// An `instanceRole` read is the identity's that the task was given: one made with the old
    /// identity (a task that took it just before a reload replaced it, whose read stored after the
    /// reload dropped the entries) is not served to tasks of the new identity.
    @Test func anInstanceRoleEntryIsServedOnlyToTheIdentityThatReadIt() async throws {
        let fixture = ReadCacheFixture(ttl: 60)
        fixture.fake.put("devops/db", "first")
        #expect(try await fixture.run("cached").cached == false)
        #expect(try await fixture.run("cached").cached == true)

        // A new identity, the cache left as it is (as after such a late store).
        fixture.credentials.replaceIdentity(
            IdentityProvider(
                sources: [.environment],
                environment: [
                    "AWS_ACCESS_KEY_ID": "AKIDNEWIDENTITY", "AWS_SECRET_ACCESS_KEY": "new-identity-test-key",
                ],
                imds: IMDSCredentialSource(http: fixture.fake, endpoint: "http://127.0.0.1:9", clock: fixture.clock),
                clock: fixture.clock))
        let after = try await fixture.run("cached")
        #expect(after.status == .succeeded, "\(after.error?.message ?? "")")
        #expect(after.cached == false, "the old identity's read is not the new one's")
        #expect(fixture.fake.calls("GetSecretValue") == 2)
        #expect(try await fixture.run("cached").cached == true, "the new identity's own read is kept")
    }

    /// The delegate's identity (`[identity] sources`, `imds_endpoint`) changed by a reload:
    /// `instanceRole` connectors' entries go, other connectors' stay; a reload that leaves the
    /// identity as it was keeps them all (they may be served stale through an outage).
    @Test func aReloadThatChangesTheIdentityDropsInstanceRoleEntries() throws {
        func configuration(sources: String, tags: String = "") throws -> DelegateConfiguration {
            try DelegateConfiguration.load(
                tomlText: """
                    [delegate]
                    tags = [\(tags)]
                    [queue]
                    spool_dir = ""
                    socket_path = ""
                    [identity]
                    sources = [\(sources)]
                    [connectors.instance]
                    region = "us-east-1"
                    credentials = { type = "instanceRole" }
                    cache_ttl_seconds = 300
                    [connectors.role]
                    region = "us-east-1"
                    credentials = { type = "assumeRole", role_arn = "arn:aws:iam::123456789012:role/sm" }
                    cache_ttl_seconds = 300
                    """,
                environment: [:], hostName: "cache-principal")
        }
        let old = try configuration(sources: #""environment""#)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: old, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: quiet), logger: quiet, logLimiter: LogRateLimiter(),
            clock: ManualClock(), httpClient: ScriptedHTTPClient())
        let cache = components.cache
        func store(_ configuration: DelegateConfiguration) throws {
            for id in ["instance", "role"] {
                let connector = try #require(configuration.connectors[id])
                cache.store(
                    SecretCacheTests.output("db"), for: SecretCacheTests.key("db", connector: id), connector: connector,
                    principal: SecretCacheTests.principal, token: cache.beginRead())
            }
        }
        func cached(_ id: String, _ configuration: DelegateConfiguration) throws -> Bool {
            let connector = try #require(configuration.connectors[id])
            let key = SecretCacheTests.key("db", connector: id)
            if case .fresh = cache.lookup(key, connector: connector, principal: SecretCacheTests.principal) {
                return true
            }
            return false
        }
        try store(old)

        let retagged = try configuration(sources: #""environment""#, tags: #""blue""#)
        components.apply(retagged, replacing: old, logger: quiet, publish: {})
        #expect(try cached("instance", retagged))
        #expect(try cached("role", retagged))

        let imds = try configuration(sources: #""imds""#, tags: #""blue""#)
        components.apply(imds, replacing: retagged, logger: quiet, publish: {})
        #expect(try !cached("instance", imds))
        #expect(try cached("role", imds))
    }
}
