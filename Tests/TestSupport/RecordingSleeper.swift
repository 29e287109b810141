import AWSCore
import Synchronization

/// A `Sleeper` that records each backoff delay and returns at once, so retry tests neither
/// wait nor depend on time.
public final class RecordingSleeper: Sleeper {
    public let delays = Mutex<[Duration]>([])

    public init() {}

    public func sleep(for duration: Duration) async throws { delays.withLock { $0.append(duration) } }
}
