import SQS
import Synchronization

/// The batchers of one SQS intake: for each queue, one for the results sent to it and one for
/// the deletes of its task messages. Made on first use; idle ones are forgotten once a table
/// holds `Table.idleLimit` (a task's `replyTo` names any queue, so their number is the
/// producers' to choose).
final class SQSBatchers: Sendable {
    let senders = Table<SQSBatchMessage>()
    let deleters = Table<String>()

    func sender(for queue: SQSQueueURL, make: () -> SQSBatcher<SQSBatchMessage>) -> SQSBatcher<SQSBatchMessage> {
        senders.batcher(for: queue, make: make)
    }

    func deleter(for queue: SQSQueueURL, make: () -> SQSBatcher<String>) -> SQSBatcher<String> {
        deleters.batcher(for: queue, make: make)
    }

    /// One batcher per queue URL.
    final class Table<Entry: Sendable>: Sendable {
        static var idleLimit: Int { 64 }
        private let batchers = Mutex<[String: SQSBatcher<Entry>]>([:])

        /// Batchers held now (for tests).
        var count: Int { batchers.withLock { $0.count } }

        func batcher(for queue: SQSQueueURL, make: () -> SQSBatcher<Entry>) -> SQSBatcher<Entry> {
            batchers.withLock { batchers in
                if let batcher = batchers[queue.url] { return batcher }
                if batchers.count >= Self.idleLimit {
                    // A batcher forgotten while a call still holds it goes on working for that call.
                    batchers = batchers.filter { !$0.value.isIdle }
                }
                let batcher = make()
                batchers[queue.url] = batcher
                return batcher
            }
        }
    }
}
