import AWSCore
import Synchronization

/// A `Sleeper` that records each backoff delay and returns at once, so retry tests neither
/// wait nor depend on time.
public final class RecordingSleeper: Sleeper {
    public let delays = Mutex<[Duration]>([])
    private let pause: Duration

    /// - Parameter pause: how long each sleep really takes (none by default); a loop that only
    ///   waits on its sleeper needs a little to keep from spinning.
    public init(pause: Duration = .zero) {
        self.pause = pause
    }

    public func sleep(for duration: Duration) async throws {
        delays.withLock { $0.append(duration) }
        if pause > .zero { try await Task.sleep(for: pause) }
    }
}
