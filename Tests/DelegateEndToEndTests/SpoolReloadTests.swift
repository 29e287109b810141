import Foundation
import Glibc
import Testing
import TestSupport

/// A reload that gives the delegate a tag makes it take the spool tasks it left for others.
@Suite struct SpoolReloadTests {
    @Test func aTaskLeftForAnotherDelegateRunsOnceAReloadAddsItsTag() async throws {
        let server = try LoopbackHTTPServer { _ in
            DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "spool-reload")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDRELOADTAGS", "secret-key": "reload-tags-secret"], in: directory)
        let name = DaemonTestFixtures.uniqueName("reload-tags")
        func configuration(tags: [String]) -> String {
            DaemonTestFixtures.configuration(name: name, tags: tags, directory: directory, endpoint: server.baseURL)
        }
        let daemon = try DaemonProcess(
            configuration: configuration(tags: ["alpha"]), environment: DaemonTestFixtures.environment(),
            directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try daemon.start()
        try await daemon.waitForStderr(containing: "event=ready", timeout: .seconds(90))

        let task = try DaemonTestFixtures.task(id: "for-beta", operation: "getSecretValue", params: ["name": "app"])
            .replacingOccurrences(of: #""connector":{"id":"e2eConnector","#, with: #""connector":{"id":"e2eConnector","delegateSelectors":["beta"],"#)
        #expect(task.contains("delegateSelectors"))
        try spool.enqueue(id: "for-beta", json: task)
        // Left alone through a few rescans (every second).
        try await Task.sleep(for: .seconds(3))
        #expect(FileManager.default.fileExists(atPath: directory.path("spool/new/for-beta.json")))

        try daemon.writeConfiguration(configuration(tags: ["alpha", "beta"]))
        daemon.signal(SIGHUP)
        let result = try await spool.waitForResult(id: "for-beta", timeout: .seconds(60))
        #expect(result["status"] as? String == "succeeded", "\(result)")
        #expect(try await daemon.stop() == .exited(0))
    }

    /// A second process with the same delegate name on the same spool (a `run` beside the
    /// service) stops with exit 78 and says why, instead of running the first one's tasks again.
    @Test func aSecondDelegateWithTheSameNameStopsWith78() async throws {
        let directory = try TemporaryDirectory(prefix: "same-name")
        let second = try TemporaryDirectory(prefix: "same-name-2")
        let name = DaemonTestFixtures.uniqueName("same-name")
        let configuration = DaemonTestFixtures.configuration(
            name: name, tags: [], directory: directory, endpoint: "http://127.0.0.1:9")
        let first = try DaemonProcess(
            configuration: configuration, environment: DaemonTestFixtures.environment(), directory: directory)
        try first.start()
        try await first.waitForStderr(containing: "event=ready", timeout: .seconds(90))

        // Its own socket, the same spool and name.
        let other = try DaemonProcess(
            configuration: configuration.replacingOccurrences(
                of: directory.path("delegate.sock"), with: second.path("delegate.sock")),
            environment: DaemonTestFixtures.environment(), directory: second)
        try other.start()
        #expect(try await other.waitForExit(timeout: .seconds(90)) == .exited(78))
        #expect(other.stderrText.contains("another process runs as delegate \(name)"), "\(other.stderrText)")
        #expect(first.exit == nil, "the first delegate keeps running")
        #expect(try await first.stop() == .exited(0))
    }
}
