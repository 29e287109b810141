import Synchronization

/// The SQS task messages this delegate is handling now, by queue and message id, so that one
/// received again while it runs here (its lease lapsed: extensions failed, or a stall outlasted
/// it) is not run a second time beside the first. Each keeps the receipt handle of its newest
/// receive: a handle from before it no longer acts on the message on SQS, so the handling that
/// goes on extends, deletes or releases with this one.
final class RunningMessages: Sendable {
    private let handles = Mutex<[AnsweredMessages.Key: String]>([:])

    /// Starts handling `key`: true, unless it is being handled already (false); either way
    /// `receiptHandle` is its newest.
    func begin(_ key: AnsweredMessages.Key, receiptHandle: String) -> Bool {
        handles.withLock { handles in
            let fresh = handles[key] == nil
            handles[key] = receiptHandle
            return fresh
        }
    }

    /// The receipt handle of `key`'s newest receive while it is being handled.
    func newestHandle(_ key: AnsweredMessages.Key) -> String? {
        handles.withLock { $0[key] }
    }

    /// Every message being handled, with its newest receipt handle.
    func all() -> [(key: AnsweredMessages.Key, receiptHandle: String)] {
        handles.withLock { $0.map { (key: $0.key, receiptHandle: $0.value) } }
    }

    /// Ends the handling of `key`.
    func end(_ key: AnsweredMessages.Key) {
        _ = handles.withLock { $0.removeValue(forKey: key) }
    }
}
