import Foundation
import Logging
import Synchronization
import Systemd
import Testing

/// Records what a `SystemdNotifier` would send to systemd.
final class RecordingTransport: NotifyTransport {
    private let sent = Mutex<[String]>([])
    let watchdog: UInt64?
    let failure: SystemdError?

    init(watchdog: UInt64? = nil, failure: SystemdError? = nil) {
        self.watchdog = watchdog
        self.failure = failure
    }

    var messages: [String] { sent.withLock { $0 } }

    func send(_ message: String) throws(SystemdError) {
        sent.withLock { $0.append(message) }
        if let failure { throw failure }
    }

    func watchdogMicroseconds() -> UInt64? { watchdog }
}

/// Fails while `failing` is set.
final class SwitchableTransport: NotifyTransport {
    let failing = Mutex(false)

    func send(_ message: String) throws(SystemdError) {
        if failing.withLock({ $0 }) { throw SystemdError(code: .notifyFailed, message: "refused", errno: 111) }
    }

    func watchdogMicroseconds() -> UInt64? { nil }
}

/// Keeps every record logged through it.
struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.records.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
    }
}

final class LogCapture: Sendable {
    let records = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    var logger: Logger {
        Logger(label: "test") { _ in CapturingLogHandler(capture: self) }
    }
}

@Suite struct SystemdNotifierTests {
    /// A reload under way when the stop began: its RELOADING=1 and READY=1 are not sent after
    /// STOPPING=1; STATUS= and WATCHDOG=1 still are.
    @Test func neitherReadyNorReloadingFollowsStopping() async {
        let transport = RecordingTransport()
        let notifier = SystemdNotifier(transport: transport, monotonicMicroseconds: { 7 }, logger: Logger(label: "test"))
        await notifier.ready()
        await notifier.stopping()
        await notifier.reloading()
        notifier.status("draining")
        notifier.watchdog()
        await notifier.ready()
        #expect(transport.messages == ["READY=1", "STOPPING=1", "STATUS=draining", "WATCHDOG=1"])
    }

    /// The last status before an exit (a failed start's reason) is sent by the time the call
    /// returns, not left on the notifier's queue.
    @Test func statusSentIsOutWhenItReturns() async {
        let transport = RecordingTransport()
        let notifier = SystemdNotifier(transport: transport, logger: Logger(label: "test"))
        await notifier.statusSent("cannot use the spool: ...")
        #expect(transport.messages == ["STATUS=cannot use the spool: ..."])
    }

    @Test func sendsTheLifecycleInOrder() async {
        let transport = RecordingTransport()
        let notifier = SystemdNotifier(
            transport: transport,
            monotonicMicroseconds: { 42_000_001 },
            logger: Logger(label: "test")
        )
        await notifier.ready()
        notifier.status("1 in flight\n2 done")
        notifier.watchdog()
        await notifier.reloading()
        await notifier.ready()
        await notifier.stopping()
        #expect(
            transport.messages == [
                "READY=1", "STATUS=1 in flight 2 done", "WATCHDOG=1",
                "RELOADING=1\nMONOTONIC_USEC=42000001", "READY=1", "STOPPING=1",
            ])
    }

    @Test func reloadingStampsTheRealMonotonicClock() async throws {
        let transport = RecordingTransport()
        let notifier = SystemdNotifier(transport: transport, logger: Logger(label: "test"))
        let before = SystemdNotifier.systemMonotonicMicroseconds()
        await notifier.reloading()
        let after = SystemdNotifier.systemMonotonicMicroseconds()
        let message = try #require(transport.messages.first)
        let lines = message.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(before <= stamp && stamp <= after)
    }

    @Test(arguments: [
        (UInt64?.none, Duration?.none),
        (30_000_000, .seconds(15)),
        (1_000_001, .microseconds(500_000)),
        (0, nil),
        // Never no pause at all (a loop that pings would spin): a millisecond at least.
        (1, .milliseconds(1)),
        (1500, .milliseconds(1)),
    ])
    func watchdogIntervalIsHalfOfWatchdogUSec(usec: UInt64?, expected: Duration?) {
        let notifier = SystemdNotifier(transport: RecordingTransport(watchdog: usec), logger: Logger(label: "test"))
        #expect(notifier.watchdogInterval == expected)
    }

    @Test func failuresAreLoggedNotThrown() async {
        let capture = LogCapture()
        let transport = RecordingTransport(failure: SystemdError(code: .notifyFailed, message: "boom", errno: 111))
        let notifier = SystemdNotifier(transport: transport, logger: capture.logger)
        await notifier.ready()
        #expect(transport.messages == ["READY=1"])
        let records = capture.records.withLock { $0 }
        #expect(records.count == 1)
        #expect(records.first?.0 == .warning)
        #expect(records.first?.2["errno"] == "111")
    }

    /// A failing socket is said once, not at every `STATUS=` (which changes with every task),
    /// and the first message that gets through again says so, with how many did not.
    @Test func repeatedFailuresAreSaidOnceUntilOneGetsThrough() async {
        let capture = LogCapture()
        let transport = SwitchableTransport()
        let notifier = SystemdNotifier(transport: transport, logger: capture.logger)
        transport.failing.withLock { $0 = true }
        for count in 0..<5 { await notifier.statusSent("tasks \(count)") }
        transport.failing.withLock { $0 = false }
        await notifier.statusSent("tasks 5")
        let records = capture.records.withLock { $0 }
        #expect(records.count == 2, "\(records)")
        #expect(records.first?.0 == .warning && records.first?.2["operation"] == "STATUS")
        #expect(records.last?.0 == .notice && records.last?.2["failures"] == "5")
    }

    @Test func libsystemdTransportWithoutNotifySocketIsANoOp() throws {
        // The test process never has NOTIFY_SOCKET (checked), so sd_notify must succeed silently.
        #expect(ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] == nil)
        try LibsystemdNotifyTransport().send("READY=1")
        #expect(LibsystemdNotifyTransport().watchdogMicroseconds() == nil)
    }
}
