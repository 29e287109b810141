import Foundation
import Glibc
import Testing
import TestSupport

/// SIGHUP before the reload service traps it: the built daemon holds it pending (every thread
/// blocks it, the main thread first) and serves it once ready, where SIGHUP's default action
/// would have ended it.
@Suite struct DaemonReloadSignalTests {
    /// Every thread of the running daemon blocks SIGHUP: a thread that did not would take it at
    /// SIGHUP's default action (the end of the process) until the signal source is set up, and
    /// only the signal source (a `signalfd`) reads it afterwards.
    /// The front binary (the unit's ExecStart) blocks it before it execs the full binary, and the
    /// full binary blocks it itself when started directly.
    @Test(arguments: [false, true])
    func everyThreadOfTheDaemonBlocksSIGHUP(fullBinary: Bool) async throws {
        let (daemon, listener) = try Self.daemon(
            blockedSignals: [], executable: fullBinary ? try DaemonProcess.fullBinaryPath() : nil)
        try daemon.start()
        try await listener.waitForAssignment("READY=1")

        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/task")
        #expect(tasks.contains("\(daemon.pid)"), "the main thread is among \(tasks)")
        for task in tasks {
            // A worker thread may end between the listing and the read; the main thread does not.
            guard let status = try? String(contentsOfFile: "/proc/\(daemon.pid)/task/\(task)/status", encoding: .utf8)
            else {
                #expect(task != "\(daemon.pid)", "the main thread's status cannot be read")
                continue
            }
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
            let mask = try #require(UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16))
            #expect(mask & (1 << (UInt64(SIGHUP) - 1)) != 0, "thread \(task): \(line)")
        }
        #expect(try await daemon.stop() == .exited(0))
    }

    /// A SIGHUP sent at once after the start (almost always long before READY=1; a test thread
    /// held off the CPU that long would send a plain reload, served the same way) waits pending
    /// and is served once the daemon is ready: RELOADING=1 then READY=1 again, the daemon alive.
    /// The child starts with SIGHUP blocked (as the daemon blocks it at the start of `main`) so
    /// that the signal cannot land in the loader's milliseconds before that: this test proves the
    /// pending signal is served; that the daemon blocks it itself is
    /// ``everyThreadOfTheDaemonBlocksSIGHUP()``.
    @Test func aSIGHUPDuringStartUpIsServedOnceReady() async throws {
        let (daemon, listener) = try Self.daemon(blockedSignals: [SIGHUP])
        try daemon.start()
        daemon.signal(SIGHUP)

        try await listener.waitForAssignment("READY=1")
        _ = try await listener.waitForDatagram { _ in
            let seen = listener.datagrams
            guard let reloading = seen.firstIndex(where: { $0.hasPrefix("RELOADING=1") }) else { return false }
            return seen[reloading...].contains("READY=1")
        }
        let seen = listener.datagrams
        #expect(try #require(seen.firstIndex(of: "READY=1")) < (try #require(seen.firstIndex { $0.hasPrefix("RELOADING=1") })))
        #expect(daemon.exit == nil)
        #expect(try await daemon.stop() == .exited(0))
    }

    private static func daemon(blockedSignals: [Int32], executable: String? = nil) throws
        -> (DaemonProcess, NotifySocketListener)
    {
        let listener = try NotifySocketListener()
        let directory = try TemporaryDirectory(prefix: "reload-signal")
        try DaemonTestFixtures.writeCredentials(["key-id": "AKIDRELOADSIGNAL", "secret-key": "reload-signal-secret"], in: directory)
        let daemon = try DaemonProcess(
            configuration: DaemonTestFixtures.configuration(
                name: DaemonTestFixtures.uniqueName("reload-signal"), tags: ["alpha"], directory: directory,
                endpoint: "http://127.0.0.1:9"),
            environment: DaemonTestFixtures.environment(["NOTIFY_SOCKET": listener.path]),
            directory: directory, blockedSignals: blockedSignals, executable: executable)
        return (daemon, listener)
    }
}
