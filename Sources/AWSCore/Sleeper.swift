/// Waits between retry attempts. Injected so tests can record backoff delays instead of sleeping.
public protocol Sleeper: Sendable {
    func sleep(for duration: Duration) async throws
}

/// Sleeps on the continuous clock; cancellation ends the wait early.
public struct ClockSleeper: Sleeper {
    public init() {}

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
