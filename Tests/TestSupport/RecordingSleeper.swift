import AWSCore
import Synchronization

/// A `Sleeper` that records each backoff delay and returns at once, so retry tests neither
/// wait nor depend on time.
public final class RecordingSleeper: Sleeper {
    public let delays = Mutex<[Duration]>([])
    /// Called at each sleep with its number (1 for the first), before it sleeps.
    public let onSleep = Mutex<(@Sendable (Int) -> Void)?>(nil)
    private let pause: Duration
    private let asAsked: Bool

    /// - Parameter pause: how long each sleep really takes (none by default); a loop that only
    ///   waits on its sleeper needs a little to keep from spinning.
    public init(pause: Duration = .zero) {
        self.pause = pause
        self.asAsked = false
    }

    /// A sleeper that records each delay and really sleeps it.
    public static func sleepingAsAsked() -> RecordingSleeper { RecordingSleeper(asAsked: true) }

    private init(asAsked: Bool) {
        self.pause = .zero
        self.asAsked = asAsked
    }

    public func sleep(for duration: Duration) async throws {
        let number = delays.withLock { delays in
            delays.append(duration)
            return delays.count
        }
        onSleep.withLock { $0 }?(number)
        let real = asAsked ? duration : pause
        if real > .zero { try await Task.sleep(for: real) }
    }
}
