import Synchronization

/// The SQS task messages this delegate is handling now, by queue and message id, so that one
/// received again while it runs here (its lease lapsed: extensions failed, or a stall outlasted
/// it) is not run a second time beside the first. The receipt handle of the newest such receive
/// is kept: a handle from before it no longer deletes the message on SQS, so the handling that
/// goes on extends, deletes or releases with this one.
final class RunningMessages: Sendable {
    private let handles = Mutex<[AnsweredMessages.Key: String?]>([:])

    /// Starts handling `key`: true, unless it is being handled already; then its newer receipt
    /// handle is kept for the handling that goes on, and false.
    func begin(_ key: AnsweredMessages.Key, receiptHandle: String) -> Bool {
        handles.withLock { handles in
            guard handles[key] != nil else {
                handles[key] = .some(nil)
                return true
            }
            handles[key] = .some(receiptHandle)
            return false
        }
    }

    /// The receipt handle of the newest receive of `key` made while it was being handled, if any:
    /// the one that extends its lease now.
    func newestHandle(_ key: AnsweredMessages.Key) -> String? {
        handles.withLock { $0[key] ?? nil }
    }

    /// Ends the handling of `key`.
    func end(_ key: AnsweredMessages.Key) {
        _ = handles.withLock { $0.removeValue(forKey: key) }
    }

    /// How many messages are being handled (for tests).
    var count: Int { handles.withLock { $0.count } }
}
