import Foundation
import Glibc
import Testing
import TestSupport

/// The daemon's side of `Type=notify`, with the test playing systemd: the built binary runs with
/// `NOTIFY_SOCKET` pointing at a datagram socket the test reads, and `WATCHDOG_USEC` set.
@Suite struct DaemonNotifyTests {
    @Test func notifiesReadyStatusWatchdogReloadingAndStoppingAcrossALifetime() async throws {
        let listener = try NotifySocketListener()
        // Every AWS call answers after a pause, so that a task is surely in flight at SIGTERM (5 s:
        // with 2 s, a loaded machine once took longer from the request to the SIGTERM).
        let server = try LoopbackHTTPServer { _ in
            var response = DaemonTestFixtures.getSecretValueResponse(name: "e2e/app", value: "not-a-secret")
            response.delay = .seconds(5)
            return response
        }
        defer { server.stop() }
        let directory = try TemporaryDirectory(prefix: "notify")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDNOTIFYTEST", "secret-key": "notify-test-secret"], in: directory)
        let name = DaemonTestFixtures.uniqueName("notify")
        func configuration(tags: [String]) -> String {
            DaemonTestFixtures.configuration(name: name, tags: tags, directory: directory, endpoint: server.baseURL, concurrency: 1)
        }
        let daemon = try DaemonProcess(
            configuration: configuration(tags: ["alpha"]),
            environment: DaemonTestFixtures.environment(["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"]),
            directory: directory)
        let spool = SpoolDirectory(path: directory.path("spool"))
        try daemon.start()

        // Start: READY=1 only once the spool and the socket are open.
        try await listener.waitForAssignment("READY=1")
        #expect(FileManager.default.fileExists(atPath: directory.path("spool/new")))
        #expect(socketAccepts(directory.path("delegate.sock")))
        _ = try await listener.waitForDatagram { $0.hasPrefix("STATUS=") && $0.contains("tags alpha") }
        // Watchdog at half of WATCHDOG_USEC, and only after READY=1.
        _ = try await listener.waitForDatagram(timeout: .seconds(90)) { _ in
            listener.datagrams.filter { $0 == "WATCHDOG=1" }.count >= 2
        }
        let startup = listener.datagrams
        let firstReady = try #require(startup.firstIndex(of: "READY=1"))
        let firstWatchdog = try #require(startup.firstIndex(of: "WATCHDOG=1"))
        #expect(firstReady < firstWatchdog)

        // SIGHUP with a changed, valid configuration: RELOADING=1 with MONOTONIC_USEC, then
        // READY=1, and the status shows the new tags.
        try daemon.writeConfiguration(configuration(tags: ["beta"]))
        let beforeReload = listener.datagrams.count
        daemon.signal(SIGHUP)
        let reloading = try await listener.waitForAssignment("RELOADING=1")
        let reloadLines = reloading.split(separator: "\n").map(String.init)
        let stamp = try #require(reloadLines.first { $0.hasPrefix("MONOTONIC_USEC=") })
        let microseconds = try #require(UInt64(stamp.dropFirst("MONOTONIC_USEC=".count)))
        #expect(microseconds > 0 && microseconds <= monotonicMicroseconds())
        _ = try await listener.waitForDatagram { _ in datagrams(listener, after: beforeReload).contains("READY=1") }
        let afterValidReload = datagrams(listener, after: beforeReload)
        let reloadingIndex = try #require(afterValidReload.firstIndex { $0.hasPrefix("RELOADING=1") })
        let readyIndex = try #require(afterValidReload.firstIndex(of: "READY=1"))
        #expect(reloadingIndex < readyIndex)
        #expect(afterValidReload.contains { $0.hasPrefix("STATUS=") && $0.contains("tags beta") })

        // SIGHUP with an invalid configuration: refused, the running one (tags beta) stays,
        // and the daemon is READY again.
        try daemon.writeConfiguration(configuration(tags: ["gamma"]) + "\nnot_a_key = 1\n")
        let beforeBadReload = listener.datagrams.count
        daemon.signal(SIGHUP)
        _ = try await listener.waitForDatagram { _ in datagrams(listener, after: beforeBadReload).contains("READY=1") }
        let afterBadReload = datagrams(listener, after: beforeBadReload)
        #expect(afterBadReload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        let statusAfterBadReload = try #require(afterBadReload.last { $0.hasPrefix("STATUS=") })
        #expect(statusAfterBadReload.contains("tags beta"))
        #expect(!statusAfterBadReload.contains("gamma"))
        #expect(daemon.exit == nil)
        #expect(daemon.stderrText.contains("reload refused"))

        // SIGTERM with one task in flight and one not started (concurrency 1).
        try spool.enqueue(id: "in-flight", json: DaemonTestFixtures.task(id: "in-flight", operation: "getSecretValue", params: ["name": "app"]))
        try #require(
            await eventually(within: .seconds(90)) { server.requestsServed >= 1 },
            "the first task reaches the AWS endpoint")
        try spool.enqueue(id: "queued", json: DaemonTestFixtures.task(id: "queued", operation: "getSecretValue", params: ["name": "app"]))
        let beforeStop = listener.datagrams.count
        let termination = try await daemon.stop(signal: SIGTERM)

        #expect(termination == .exited(0), "stderr:\n\(daemon.stderrText)")
        let finished = try #require(try spool.result(id: "in-flight"), "the task in flight got no result; stderr:\n\(daemon.stderrText)")
        #expect(finished["status"] as? String == "succeeded")
        #expect(spool.waitingTasks == ["queued.json"])
        #expect(try spool.result(id: "queued") == nil)
        #expect(server.requestsServed == 1)
        let atStop = datagrams(listener, after: beforeStop)
        #expect(atStop.contains("STOPPING=1"))
        #expect(!atStop.contains("READY=1"))
    }

    private func datagrams(_ listener: NotifySocketListener, after count: Int) -> [String] {
        Array(listener.datagrams.dropFirst(count))
    }

    private func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Whether a stream socket at `path` takes connections.
    private func socketAccepts(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
