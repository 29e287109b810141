/// The daemon's side of the `Type=notify` protocol with its service manager.
///
/// The daemon talks to this protocol rather than to libsystemd so that its startup, reload and
/// shutdown sequences can be tested with a recording implementation.
public protocol ServiceNotifier: Sendable {
    /// `READY=1`: call once the spool and socket are open, and again after a reload. Returns once
    /// sent (like `RELOADING=1` and `STOPPING=1`: never lost at exit, never overtaken).
    func ready() async
    /// `RELOADING=1` with the current `MONOTONIC_USEC`: call when a SIGHUP reload starts.
    func reloading() async
    /// `STOPPING=1`: call as soon as shutdown starts, before draining tasks.
    func stopping() async
    /// `STATUS=`: a short summary for `systemctl status`; newlines are replaced by spaces.
    func status(_ text: String)
    /// `WATCHDOG=1`: call only while the dispatch loop makes progress.
    func watchdog()
    /// How often to call `watchdog()`: half of `WATCHDOG_USEC` (a millisecond at least), nil when
    /// no watchdog is set.
    var watchdogInterval: Duration? { get }
}
