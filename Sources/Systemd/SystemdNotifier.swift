internal import Dispatch
internal import Glibc
public import Logging

/// `ServiceNotifier` over `sd_notify(3)`.
///
/// Notification failures are logged, never thrown: a daemon whose service manager went away
/// has nothing better to do than carry on. Outside systemd (`$NOTIFY_SOCKET` unset) every call
/// does nothing.
///
/// Messages go out in order on a serial queue of their own. `sd_notify` blocks when the
/// manager's socket queue is full; the frequent `STATUS=` and `WATCHDOG=1` are therefore sent
/// asynchronously, so a slow reader can never stall the daemon's task threads (and a stalled
/// daemon stops its watchdog pings by itself). `READY=1`, `RELOADING=1` and `STOPPING=1` return
/// once they are sent, so they are never lost at exit and never overtake each other; their
/// callers wait suspended, never holding a thread of the cooperative pool. After `STOPPING=1`,
/// `READY=1` and `RELOADING=1` are not sent: a reload that was under way when the stop began
/// must not tell systemd the service is ready again.
public struct SystemdNotifier: ServiceNotifier {
    private let queue = DispatchQueue(label: "Systemd.SystemdNotifier")
    private let phase = Phase()
    private let transport: any NotifyTransport
    private let monotonicMicroseconds: @Sendable () -> UInt64
    private let logger: Logger

    /// - Parameters:
    ///   - transport: where messages go; libsystemd unless a test injects a recorder.
    ///   - monotonicMicroseconds: `CLOCK_MONOTONIC` in µs, stamped on `RELOADING=1`.
    ///   - logger: receives a warning when a message cannot be delivered.
    public init(
        transport: any NotifyTransport = LibsystemdNotifyTransport(),
        monotonicMicroseconds: @escaping @Sendable () -> UInt64 = SystemdNotifier.systemMonotonicMicroseconds,
        logger: Logger
    ) {
        self.transport = transport
        self.monotonicMicroseconds = monotonicMicroseconds
        self.logger = logger
    }

    public func ready() async { await sent(.ready) }

    public func reloading() async {
        await sent(.reloading(monotonicMicroseconds: monotonicMicroseconds()))
    }

    public func stopping() async { await sent(.stopping) }

    public func status(_ text: String) { queue.async { send(.status(text)) } }

    /// `STATUS=`, returning once sent: for the last status before the process exits (a failed
    /// start's reason), which `status(_:)` could leave unsent.
    public func statusSent(_ text: String) async { await sent(.status(text)) }

    public func watchdog() { queue.async { send(.watchdog) } }

    public var watchdogInterval: Duration? {
        guard let microseconds = transport.watchdogMicroseconds(), microseconds > 0 else {
            return nil
        }
        // At least a millisecond: a WatchdogSec= of a microsecond or two would give no pause at
        // all, and the pinging loop would spin.
        return .microseconds(max(microseconds / 2, 1000))
    }

    /// Sends `message` on the queue and returns once it is sent.
    private func sent(_ message: NotifyMessage) async {
        await withCheckedContinuation { continuation in
            queue.async {
                send(message)
                continuation.resume()
            }
        }
    }

    /// Whether `STOPPING=1` went out, and how many messages failed in a row; read and written
    /// on `queue` only.
    private final class Phase: @unchecked Sendable {
        var stopping = false
        var failedInARow = 0
    }

    private func send(_ message: NotifyMessage) {
        switch message {
        case .stopping:
            phase.stopping = true
        case .ready, .reloading:
            if phase.stopping {
                logger.debug("not sent after STOPPING=1", metadata: ["message": "\(message.formatted.prefix(11))"])
                return
            }
        case .status, .watchdog:
            break
        }
        do {
            try transport.send(message.formatted)
            if phase.failedInARow > 0 {
                logger.notice(
                    "the service manager is notified again", metadata: ["failures": "\(phase.failedInARow)"])
                phase.failedInARow = 0
            }
        } catch {
            // Said once until a message goes through again: `STATUS=` changes with every task and
            // would repeat it every 2 s.
            phase.failedInARow += 1
            guard phase.failedInARow == 1 else { return }
            let kind = String(message.formatted.prefix { $0 != "=" })
            logger.warning(
                """
                could not notify the service manager (\(kind)); later failures are counted until one gets \
                through; under systemd, WATCHDOG=1 pings that do not arrive get the service restarted: check \
                $NOTIFY_SOCKET
                """,
                metadata: [
                    "error_code": "\(error.code.rawValue)", "errno": "\(error.errno ?? 0)", "operation": "\(kind)",
                ]
            )
        }
    }

    /// The current `CLOCK_MONOTONIC` reading in microseconds, the clock systemd compares
    /// `MONOTONIC_USEC=` against.
    @Sendable public static func systemMonotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
