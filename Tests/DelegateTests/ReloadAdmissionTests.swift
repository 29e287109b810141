import AWSCore
import HTTP
import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@testable import Delegate
@testable import TaskQueue

/// What a reload (`Components.apply`) does to tasks admitted before it, and how refused
/// admissions are counted.
@Suite struct ReloadAdmissionTests {
    let http = ScriptedHTTPClient()
    let logger = Logger(label: "reload-admission", factory: { _ in SwiftLogNoOpLogHandler() })

    static func configuration(concurrency: Int, allowing uid: Int) throws -> DelegateConfiguration {
        try configuration(concurrency: concurrency, connectorTOML: "allowed_users = [\(uid)]")
    }

    /// No intakes, one attempt per call to the scripted Secrets Manager, environment credentials,
    /// and the connector `prod` with `credentials` and `connectorTOML` (and anything after it, as `[[credential]]`).
    static func configuration(
        concurrency: Int = 1, credentials: String = #"{ type = "instanceRole" }"#, connectorTOML: String
    ) throws -> DelegateConfiguration {
        try DelegateConfiguration.load(
            tomlText: """
                [delegate]
                name = "reloads"
                concurrency = \(concurrency)
                [queue]
                spool_dir = ""
                socket_path = ""
                [aws]
                secretsmanager_endpoint = "\(ScriptedExecutorFixture.endpoint)"
                max_attempts = 1
                [identity]
                sources = ["environment"]
                [connectors.prod]
                region = "us-east-1"
                credentials = \(credentials)
                \(connectorTOML)
                """,
            environment: Self.environment, hostName: "reloads")
    }

    static let environment = ["AWS_ACCESS_KEY_ID": "AKIDRELOADS", "AWS_SECRET_ACCESS_KEY": "reloads-secret-unused"]

    func components(_ configuration: DelegateConfiguration) throws -> DelegateDaemon.Components {
        try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: Self.environment),
            notifier: SystemdNotifier(logger: logger), logger: logger, logLimiter: LogRateLimiter(),
            clock: SystemWallClock(), httpClient: http)
    }

    /// One task of a peer the connector allows running (its call held) and one waiting for the
    /// only slot while `reload` runs with them; then every call is answered and both end.
    /// `reload` gets the components, the configuration in force and the waiting task.
    func withATaskWaitingForTheOnlySlot(
        _ reload: (DelegateDaemon.Components, DelegateConfiguration, Task<Data, Never>) async throws -> Void
    ) async throws {
        let before = try Self.configuration(concurrency: 1, allowing: 4242)
        let components = try components(before)
        let dispatcher = components.dispatcher
        http.always(.any, .hold(ScriptedExecutorFixture.secret()))
        let intake = SocketIntake(
            dispatcher: dispatcher, statusReport: { .null }, logLimiter: LogRateLimiter(), logger: logger)
        let peer = PeerCredentials(pid: 1, uid: 4242, gid: 4242)
        func line(_ id: String) -> Data {
            Data(#"{"id":"\#(id)","operation":"getSecretValue","params":{"name":"db"},"connector":"prod"}"#.utf8)
        }

        let first = Task { await intake.handle(line("running"), peer: peer) { true } }
        #expect(await eventually { http.holding == 1 })
        let second = Task { await intake.handle(line("waiting"), peer: peer) { true } }
        #expect(await eventually { dispatcher.tasksWaitingForASlot() == 1 })
        try await reload(components, before, second)
        http.removeScripts()
        http.always(.any, ScriptedExecutorFixture.secret())
        http.releaseHeld()
        _ = await first.value
        _ = await second.value
        #expect(dispatcher.slotsInUse() == 0)
    }

    /// A reload that raises `concurrency` and takes a peer's access away in one: the task the
    /// raised limit lets start is admitted again under the new connectors first (refused, never
    /// sent), not run under the table the reload replaces.
    @Test(.timeLimit(.minutes(1)))
    func aReloadThatRaisesTheConcurrencyStartsNoWaitingTaskUnderTheOldConnectors() async throws {
        try await withATaskWaitingForTheOnlySlot { components, before, waiting in
            components.apply(try Self.configuration(concurrency: 2, allowing: 2002), replacing: before, logger: logger) {}
            let refused = try TaskResult.decode(jsonLine: await waiting.value)
            #expect(errorCode(refused) == "NotAuthorized", "\(refused)")
            #expect(http.requests.count == 1, "the refused task was never sent")
        }
    }

    /// The reload's settings are published (`configuration.current`, which an SQS loop reads for
    /// its queues once it has a slot) before a raised concurrency hands the waiting a slot: at
    /// publication the task waiting is still waiting; right after, it runs.
    @Test(.timeLimit(.minutes(1)))
    func aReloadPublishesItsSettingsBeforeARaisedConcurrencyWakesAnyone() async throws {
        try await withATaskWaitingForTheOnlySlot { components, before, _ in
            let dispatcher = components.dispatcher
            var waitingAtPublication: Int?
            components.apply(try Self.configuration(concurrency: 2, allowing: 4242), replacing: before, logger: logger) {
                waitingAtPublication = dispatcher.tasksWaitingForASlot()
            }
            #expect(waitingAtPublication == 1, "a slot was handed out before the settings were published")
            #expect(dispatcher.tasksWaitingForASlot() == 0)
            #expect(await eventually { http.holding == 2 })
        }
    }

    /// A credential request refused at its admission counts as a refused task, as one refused
    /// when a reload admits it again does (`counts.rejected`), besides `credentialRequests`.
    @Test func aCredentialRequestRefusedAtOnceIsCountedAsOneRefusedAfterAReloadIs() async throws {
        let components = try components(try Self.configuration(concurrency: 1, allowing: 4242))
        let dispatcher = components.dispatcher
        let intake = CredentialIntake(dispatcher: dispatcher, logLimiter: LogRateLimiter(), logger: logger)
        let request = CredentialSocketServer.Request(
            peer: PeerCredentials(pid: 1, uid: 0, gid: 0),
            sunPath: CredentialRequestAddress.sunPath(random: 0xbeef, unit: "app.service", id: "db"))

        #expect(await intake.handle(request) == .refuse)
        #expect(dispatcher.status.snapshot.rejected == 1)
        #expect(http.requests.isEmpty)
    }

    /// Every reload forgets the cached assumed-role sessions, even one that changes nothing: a
    /// role's sessions revoked in IAM are refused until they end (up to 12 hours), and a reload is
    /// what an operator reaches for. The next task assumes the role again.
    @Test func aReloadAssumesRolesAgain() async throws {
        let configuration = try Self.configuration(
            credentials: #"{ type = "assumeRole", role_arn = "arn:aws:iam::123456789012:role/sm" }"#, connectorTOML: "")
        let components = try components(configuration)
        http.always(.host("sts.us-east-1.amazonaws.com"), Self.assumeRoleAnswer)
        http.always(.any, ScriptedExecutorFixture.secret())
        let run = Self.runner(components, logger: logger)
        func assumed() -> Int { http.requests.filter { $0.url.contains("sts.us-east-1.amazonaws.com") }.count }

        #expect(try await run("first").status == .succeeded)
        #expect(try await run("second").status == .succeeded)
        #expect(assumed() == 1, "a session is used again between reloads")
        let secretsManager = components.clients.secretsManager(region: "us-east-1")
        #expect(secretsManager.signingKeysHeld == 1)
        components.apply(configuration, replacing: configuration, logger: logger) {}
        // Nor are the signing keys derived from the old session's secret key kept.
        #expect(secretsManager.signingKeysHeld == 0)
        #expect(try await run("third").status == .succeeded)
        #expect(assumed() == 2, "the reload made the next task assume the role again")
        #expect(secretsManager.signingKeysHeld == 1)
    }

    /// A task in flight across a reload signs on with the credentials it read before it (here a
    /// role session whose answer came after the reload): the signing key it derives meanwhile is
    /// forgotten too once it ends, not kept for days with the secret key it came from.
    @Test func signingKeysATaskInFlightDerivesAfterAReloadGoWhenItEnds() async throws {
        let configuration = try Self.configuration(
            credentials: #"{ type = "assumeRole", role_arn = "arn:aws:iam::123456789012:role/sm" }"#, connectorTOML: "")
        let components = try components(configuration)
        http.always(.host("sts.us-east-1.amazonaws.com"), .hold(Self.assumeRoleAnswer))
        http.always(.any, ScriptedExecutorFixture.secret())
        let run = Self.runner(components, logger: logger)
        let inFlight = Task { try await run("in-flight") }
        #expect(await eventually { http.holding == 1 })
        components.apply(configuration, replacing: configuration, logger: logger) {}
        http.releaseHeld()
        #expect(try await inFlight.value.status == .succeeded)
        #expect(http.requests.contains { $0.headers["X-Amz-Target"] == "secretsmanager.GetSecretValue" })
        let secretsManager = components.clients.secretsManager(region: "us-east-1")
        #expect(await eventually { secretsManager.signingKeysHeld == 0 })
    }

    /// STS's answer to AssumeRole: a session of an hour.
    static var assumeRoleAnswer: ScriptedReply {
        let expiration = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        let sts = """
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>\
            <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/sm/s</Arn></AssumedRoleUser>\
            <Credentials><AccessKeyId>ASIARELOADS</AccessKeyId><SecretAccessKey>reloads-role-key</SecretAccessKey>\
            <SessionToken>reloads-role-token</SessionToken><Expiration>\(expiration)</Expiration></Credentials>\
            </AssumeRoleResult><ResponseMetadata><RequestId>req-sts</RequestId></ResponseMetadata></AssumeRoleResponse>
            """
        return .response(HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Data(sts.utf8)))
    }

    /// Runs a getSecretValue task of connector `prod` for root through a socket intake.
    static func runner(
        _ components: DelegateDaemon.Components, logger: Logger
    ) -> @Sendable (String) async throws -> TaskResult {
        let intake = SocketIntake(
            dispatcher: components.dispatcher, statusReport: { .null }, logLimiter: LogRateLimiter(), logger: logger)
        let root = PeerCredentials(pid: 1, uid: 0, gid: 0)
        return { id in
            let line = Data(#"{"id":"\#(id)","operation":"getSecretValue","params":{"name":"db"},"connector":"prod"}"#.utf8)
            return try TaskResult.decode(jsonLine: await intake.handle(line, peer: root) { true })
        }
    }
}
