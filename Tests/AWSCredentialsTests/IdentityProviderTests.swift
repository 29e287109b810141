import AWSCore
import AWSCredentials
import Foundation
import Logging
import SigV4
import Synchronization
import TestSupport
import Testing

/// `[identity] sources` are tried in order (docs/INTERFACE.md section 2): the environment when
/// its variables are set, else the next source; a source that fails hands over to the next.
@Suite struct IdentityProviderTests {
    let logger = Logger(label: "test.identity")
    static let environment = ["AWS_ACCESS_KEY_ID": "AKIAFROMENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]

    func identity(
        _ sources: [IdentityProvider.Source], environment: [String: String], imds server: IMDSServer,
        clock: any WallClock = SystemWallClock()
    ) throws -> IdentityProvider {
        IdentityProvider(
            sources: sources, environment: environment, imds: imdsSource(server, http: try loopbackHTTPClient()),
            clock: clock)
    }

    @Test func withoutEnvironmentVariablesTheEnvironmentFallsThroughToIMDS() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        let identity = try identity([.environment, .imds], environment: [:], imds: server)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "ASIAFAKEimds")
        #expect(server.counts.credentialGETs == 1)
    }

    /// The IMDS cache's failed refreshes go through the failure log given (the daemon's, which
    /// rate-limits them), not a warning each.
    @Test func imdsRefreshFailuresGoThroughTheFailureLogGiven() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        server.setMode(.noInstanceProfile)
        let logged = Mutex<[String]>([])
        let identity = IdentityProvider(
            sources: [.imds], environment: [:], imds: imdsSource(server, http: try loopbackHTTPClient()),
            clock: SystemWallClock(), logger: logger,
            failureLog: { message, metadata, _ in logged.withLock { $0.append("\(message) \(metadata["event"] ?? "")") }
            })
        await #expect(throws: AWSError.self) { try await identity.credentials(logger: logger) }
        let lines = logged.withLock { $0 }
        #expect(lines.count == 1 && lines[0].contains("credentials refresh failed"), "\(lines)")
        #expect(lines.first?.contains("credentials-refresh-failed") == true)
    }

    @Test func environmentVariablesComeFirstAndIMDSIsNotAsked() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        let identity = try identity([.environment, .imds], environment: Self.environment, imds: server)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "AKIAFROMENV")
        #expect(server.counts == IMDSServer.Counts())
    }

    /// Whether refused credentials are renewed (an `ExpiredToken`): IMDS's are fetched again, the
    /// environment's are fixed for the life of the process, whichever sources come after it.
    @Test func onlyIMDSRenewsCredentialsRefusedAsExpired() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        for sources: [IdentityProvider.Source] in [[.environment], [.environment, .imds]] {
            let fixed = try identity(sources, environment: Self.environment, imds: server)
            #expect(try await fixed.credentials(logger: logger).accessKeyId == "AKIAFROMENV")
            #expect(await fixed.invalidate(accessKeyID: "AKIAFROMENV") == false, "\(sources)")
            #expect(await fixed.invalidate(accessKeyID: "AKIAOTHER") == true, "\(sources): not the ones it serves")
        }
        let imds = try identity([.imds], environment: [:], imds: server)
        let served = try await imds.credentials(logger: logger)
        #expect(await imds.invalidate(accessKeyID: served.accessKeyId))
        _ = try await imds.credentials(logger: logger)
        #expect(server.counts.credentialGETs == 2, "fetched again after the refusal")
    }

    @Test func aFailingSourceHandsOverToTheNext() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        server.setMode(.failing)
        let clock = ManualClock(Date())
        let identity = try identity([.imds, .environment], environment: Self.environment, imds: server, clock: clock)
        #expect(identity.sourceNames == ["imds", "environment"])
        #expect(try await identity.credentials(logger: logger).accessKeyId == "AKIAFROMENV")
        #expect(server.counts.whileDown > 0, "IMDS was asked first")

        // Within the pause after its failure IMDS is passed over: calls do not each wait for it.
        let askedWhileDown = server.counts.whileDown
        server.setMode(.up)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "AKIAFROMENV")
        #expect(server.counts.whileDown == askedWhileDown)
        #expect(server.counts.credentialGETs == 0)

        // IMDS back after the pause: it is first again.
        clock.advance(by: 16)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "ASIAFAKEimds")
    }

    /// A clock set back after a source failed (an NTP step, an operator fixing a clock 10 minutes
    /// fast) ends the pause at once: the source is not passed over for as long as the clock went
    /// back.
    @Test func aClockSetBackEndsAFailedSourcesPause() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        server.setMode(.failing)
        let clock = ManualClock(Date())
        let identity = try identity([.imds, .environment], environment: Self.environment, imds: server, clock: clock)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "AKIAFROMENV")
        server.setMode(.up)
        clock.advance(by: -600)
        #expect(try await identity.credentials(logger: logger).accessKeyId == "ASIAFAKEimds")
    }

    @Test func whenEverySourceFailsTheLastFailureIsThrown() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        server.setMode(.failing)
        let identity = try identity([.environment, .imds], environment: [:], imds: server)
        await #expect(throws: AWSError.self) { try await identity.credentials(logger: logger) }
        #expect(server.counts.whileDown > 0)

        let none = try self.identity([.environment], environment: [:], imds: server)
        let error = await #expect(throws: AWSError.self) { try await none.credentials(logger: logger) }
        #expect(error?.message.hasPrefix("the delegate has no identity: AWS_ACCESS_KEY_ID") == true)
    }

    @Test func noSourcesIsNoIdentityEvenWithTheEnvironmentSet() async throws {
        let server = try IMDSServer(credentials: fakeCredentials("imds"), expiration: Date().addingTimeInterval(3600))
        defer { server.stop() }
        let environment = [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ]
        let none = try identity([], environment: environment, imds: server)
        let error = await #expect(throws: AWSError.self) { try await none.credentials(logger: logger) }
        #expect(error?.message == "the delegate has no identity: [identity] sources is empty")
        #expect(error?.retryable == false)
        #expect(server.counts.tokenPUTs == 0)
    }
}
