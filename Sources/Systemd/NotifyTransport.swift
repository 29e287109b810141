internal import CSystemd

/// Where `ServiceNotifier` messages go: libsystemd in production, a recorder in tests.
public protocol NotifyTransport: Sendable {
    /// Sends one formatted message. Succeeds silently when no service manager listens.
    func send(_ message: String) throws(SystemdError)

    /// `WATCHDOG_USEC` when the service manager expects keep-alives from this process,
    /// nil otherwise.
    func watchdogMicroseconds() -> UInt64?
}

/// The real transport: `sd_notify(3)` and `sd_watchdog_enabled(3)`.
///
/// Both read `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` from the process
/// environment and leave it unchanged, so the notifier keeps working across reloads. Without
/// `$NOTIFY_SOCKET` every call is a successful no-op.
public struct LibsystemdNotifyTransport: NotifyTransport {
    public init() {}

    public func send(_ message: String) throws(SystemdError) {
        let result = sd_notify(0, message)
        if result < 0 {
            throw SystemdError(
                code: .notifyFailed,
                message: "could not notify the service manager",
                errno: -result
            )
        }
    }

    public func watchdogMicroseconds() -> UInt64? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else {
            return nil
        }
        return microseconds
    }
}
