import AWSCore
import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// The credentials socket's requests as `CredentialIntake` answers them.
@Suite struct CredentialIntakeTests {
    let http = ScriptedHTTPClient()
    let logger = Logger(label: "credential-intake", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A `*` entry matches any unit, but systemd can send a request whose unit name and id
    /// together are over 83 bytes only when its random number is short (one start in sixteen):
    /// such a request is refused every time, never served by chance; one of 83 bytes is served.
    @Test func aRequestSystemdCouldSendOnlyByChanceIsRefusedEveryTime() async throws {
        let fits = String(repeating: "i", count: 23)
        let over = String(repeating: "o", count: 24)
        let entries = [fits, over].map { #"[[credential]]\#nunit = "*"\#nid = "\#($0)"\#nconnector = "prod"\#nsecret = "db""# }
        let configuration = try ReloadAdmissionTests.configuration(connectorTOML: entries.joined(separator: "\n"))
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: ReloadAdmissionTests.environment),
            notifier: SystemdNotifier(logger: logger), logger: logger, logLimiter: LogRateLimiter(),
            clock: SystemWallClock(), httpClient: http)
        http.always(.any, ScriptedExecutorFixture.secret())
        let intake = CredentialIntake(dispatcher: components.dispatcher, logLimiter: LogRateLimiter(), logger: logger)
        let unit = String(repeating: "u", count: 52) + ".service"
        #expect(unit.utf8.count + fits.utf8.count == 83)
        func request(id: String) -> CredentialSocketServer.Request {
            // A random number of one hex digit: systemd could bind either address then.
            CredentialSocketServer.Request(
                peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
                sunPath: CredentialRequestAddress.sunPath(random: 0xa, unit: unit, id: id))
        }

        #expect(await intake.handle(request(id: over)) == .refuse)
        #expect(http.requests.isEmpty, "the refused request was never read")
        #expect(components.dispatcher.status.snapshot.rejected == 1, "counted as any refused request is")
        #expect(await intake.handle(request(id: fits)) != CredentialSocketServer.Answer.refuse)
        #expect(http.requests.count == 1)
    }
}
