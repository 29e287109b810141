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

    /// An admitted request whose read fails, or brings no value, is refused (its unit fails to
    /// start rather than start with an empty or wrong credential), its journal line naming the
    /// read's own code and the connector.
    @Test(arguments: ["ResourceNotFoundException", "NoValue"])
    func aReadThatGivesNoValueIsRefusedWithItsCode(code: String) async throws {
        let (intake, components, recorder) = try intake(connectorTOML: "")
        if code == "NoValue" {
            http.always(
                .any,
                .json([
                    "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "Name": "db",
                    "VersionId": "v1", "VersionStages": ["AWSCURRENT"], "CreatedDate": 1_700_000_000,
                ]))
        } else {
            http.always(.any, .awsError(code, message: "Secrets Manager can't find the specified secret."))
        }
        #expect(await intake.handle(Self.request) == .refuse)
        #expect(http.requests.count == 1, "the read was made")
        let refused = recorder.records.filter { $0.contains("credential request refused") }
        #expect(refused.count == 1, "\(recorder.records)")
        #expect(refused.first?.contains("event=credential-refused") == true, "\(refused)")
        #expect(refused.first?.contains("error_code=\(code)") == true, "\(refused)")
        #expect(refused.first?.contains("connector_id=prod") == true, "\(refused)")
        #expect(components.dispatcher.status.credentials == .init(served: 0, refused: 1))
    }

    /// The credentials socket is exempt from `require_sealed_results`, as the task socket is: a
    /// unit's credential goes to its service manager, never through a shared directory.
    @Test func aConnectorRequiringSealedResultsServesCredentials() async throws {
        let (intake, components, recorder) = try intake(
            connectorTOML: #"allowed_units = ["app.service"]"# + "\nrequire_sealed_results = true")
        http.always(.any, ScriptedExecutorFixture.secret(value: "unsealed-for-the-unit"))
        #expect(await intake.handle(Self.request) == .value(Data("unsealed-for-the-unit".utf8)))
        #expect(components.dispatcher.status.credentials == .init(served: 1, refused: 0))
        #expect(recorder.records.contains { $0.contains("credential served") && $0.contains("connector_id=prod") })
    }

    /// Root's request for app.service's credential `db`.
    static let request = CredentialSocketServer.Request(
        peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
        sunPath: CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db"))

    /// An intake for the connector `prod` (with `connectorTOML`) mapping app.service's `db` to
    /// the secret `db`, logging to the recorder.
    func intake(connectorTOML: String) throws -> (CredentialIntake, DelegateDaemon.Components, LogRecorder) {
        let entry = #"[[credential]]\#nunit = "app.service"\#nid = "db"\#nconnector = "prod"\#nsecret = "db""#
        let configuration = try ReloadAdmissionTests.configuration(connectorTOML: connectorTOML + "\n" + entry)
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: ReloadAdmissionTests.environment),
            notifier: SystemdNotifier(logger: logger), logger: logger, logLimiter: LogRateLimiter(),
            clock: SystemWallClock(), httpClient: http)
        let recorder = LogRecorder()
        let intake = CredentialIntake(
            dispatcher: components.dispatcher, logLimiter: LogRateLimiter(), logger: recorder.logger())
        return (intake, components, recorder)
    }
}
