internal import Glibc
public import Logging

/// `ServiceNotifier` over `sd_notify(3)`.
///
/// Notification failures are logged, never thrown: a daemon whose service manager went away
/// has nothing better to do than carry on. Outside systemd (`$NOTIFY_SOCKET` unset) every call
/// does nothing.
public struct SystemdNotifier: ServiceNotifier {
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

    public func ready() { send(.ready) }

    public func reloading() { send(.reloading(monotonicMicroseconds: monotonicMicroseconds())) }

    public func stopping() { send(.stopping) }

    public func status(_ text: String) { send(.status(text)) }

    public func watchdog() { send(.watchdog) }

    public var watchdogInterval: Duration? {
        guard let microseconds = transport.watchdogMicroseconds(), microseconds > 0 else {
            return nil
        }
        return .microseconds(microseconds / 2)
    }

    private func send(_ message: NotifyMessage) {
        do {
            try transport.send(message.formatted)
        } catch {
            logger.warning(
                "could not notify the service manager",
                metadata: ["error_code": "\(error.code.rawValue)", "errno": "\(error.errno ?? 0)"]
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
