import Synchronization

/// The longest lease SQS granted one received message, in seconds: its receive's, then each
/// extension's. The message may stay hidden that long after its last extension, so its answer is
/// remembered for that long (``AnsweredMessages/keptFor(visibilitySeconds:)``) even when a reload
/// has lowered `visibility_seconds` since.
final class GrantedLease: Sendable {
    private let longest: Mutex<Int>

    init(_ seconds: Int) {
        longest = Mutex(seconds)
    }

    /// An extension to `seconds` that SQS accepted.
    func extended(to seconds: Int) {
        longest.withLock { $0 = max($0, seconds) }
    }

    var longestSeconds: Int { longest.withLock { $0 } }
}
