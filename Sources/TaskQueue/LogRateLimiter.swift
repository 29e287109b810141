import Logging
import Synchronization

/// Keeps warnings that a peer or producer can trigger at will (a refused peer, an over-long line,
/// an invalid task) from flooding the journal.
///
/// Events are grouped by a key (their kind). Within each window of ``interval`` the first
/// ``burst`` events of a key are logged as they come; the rest are counted, and one summary line,
/// the last suppressed event's message with `suppressed=<count>`, is logged when the window ends:
/// by ``flush()`` (the socket server calls it every second) or, at the latest, just before the
/// next event of that key is logged. Nothing is ever lost without a count.
public final class LogRateLimiter: Sendable {
    /// Events of one key logged per window before the rest are counted instead.
    public let burst: Int
    /// The length of a window.
    public let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let windows = Mutex<[String: Window]>([:])

    private struct Window {
        var start: ContinuousClock.Instant
        var logged = 0
        var suppressed = 0
        /// The last suppressed event, repeated in the summary.
        var last: Event?
    }

    private struct Event {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
        var logger: Logger
    }

    /// - Parameter now: the clock; tests inject their own.
    public init(
        burst: Int = 3, interval: Duration = .seconds(10),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.burst = max(burst, 0)
        self.interval = interval
        self.now = now
    }

    /// Logs the event unless its key already used its burst in this window; then counts it.
    public func log(
        _ level: Logger.Level, _ message: String, metadata: Logger.Metadata = [:], key: String, logger: Logger
    ) {
        let event = Event(level: level, message: message, metadata: metadata, logger: logger)
        let instant = now()
        // Written under the lock, as the summaries are: lines of one key (a queue's failing and
        // recovered, say) reach the journal in the order they were decided.
        windows.withLock { windows in
            var window = windows[key] ?? Window(start: instant)
            if instant - window.start >= interval {
                if let summary = Self.summary(of: window) { Self.emit(summary) }
                window = Window(start: instant)
            }
            if window.logged < burst {
                window.logged += 1
                Self.emit(event)
            } else {
                window.suppressed += 1
                window.last = event
            }
            windows[key] = window
        }
    }

    public func warning(_ message: String, metadata: Logger.Metadata = [:], key: String, logger: Logger) {
        log(.warning, message, metadata: metadata, key: key, logger: logger)
    }

    /// Logs the summary of every window that has ended and forgets keys that went quiet; with
    /// `all` (at a close or a stop), of every window whatever its age, so that no suppressed
    /// count is lost with the process.
    public func flush(all: Bool = false) {
        let instant = now()
        windows.withLock { windows in
            for (key, window) in windows where all || instant - window.start >= interval {
                if let summary = Self.summary(of: window) { Self.emit(summary) }
                windows[key] = nil
            }
        }
    }

    /// How many events of `key` are counted but not yet summarised (for tests).
    public func suppressedCount(key: String) -> Int {
        windows.withLock { $0[key]?.suppressed ?? 0 }
    }

    private static func summary(of window: Window) -> Event? {
        guard window.suppressed > 0, var event = window.last else { return nil }
        event.message += " (\(window.suppressed) more suppressed)"
        event.metadata["suppressed"] = "\(window.suppressed)"
        return event
    }

    private static func emit(_ event: Event) {
        event.logger.log(level: event.level, "\(event.message)", metadata: event.metadata)
    }
}
