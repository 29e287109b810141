import AWSCore
import Foundation
import HTTP
import Logging
import Systemd
import TestSupport
import Testing

@testable import Delegate

@Suite struct TaskDispatcherTests {
    @Test func aTaskThatArrivesOnceTheDelegateIsStoppingIsNotStarted() async throws {
        let configuration = try DelegateConfiguration.load(
            tomlText: """
                [delegate]
                name = "stopping"
                [queue]
                spool_dir = ""
                socket_path = ""
                [identity]
                sources = ["environment"]
                """,
            environment: [:], hostName: "stopping")
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let http = CountingHTTPClient(try CurlHTTPClient(configuration: .init(environment: [:]), logger: logger))
        let components = try DelegateDaemon.Components(
            settings: .init(configuration: configuration, configurationPath: nil, environment: [:]),
            notifier: SystemdNotifier(logger: logger), logger: logger, clock: SystemWallClock(), httpClient: http)
        let task = try DelegateTask.decode(
            TaskFixtures.task(operation: "getRandomPassword", params: nil), defaultID: nil)

        components.dispatcher.stopIntake()
        let result = await components.dispatcher.execute(task, receivedAt: Date(), logger: logger)
        #expect(result.status == .failed)
        #expect(result.error?.code == "DelegateStopping")
        #expect(result.error?.retryable == true)
        #expect(http.requests == 0)
        #expect(components.dispatcher.status.snapshot.inFlight == 0)
    }
}
