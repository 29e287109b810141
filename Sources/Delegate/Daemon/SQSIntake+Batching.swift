import AWSCore
import Logging
import SQS

extension SQSIntake {
    /// Sends `message` to `queue` in the next `SendMessageBatch` of results for that queue; nil
    /// when it was sent. An entry that failed on SQS's side (or a batch call that failed after
    /// its retries with a retryable error) is tried once more on its own.
    func send(_ message: SQSBatchMessage, to queue: SQSQueueURL, logger: Logger) async -> AWSError? {
        let (client, batcherLogger, settings) = (clientFactory, self.logger, self.settings)
        let batcher = batchers.sender(for: queue) {
            // No more than one message the queues carry: SQS's batch limit (1 MiB) is the
            // message limit's, which a queue made before 2025 keeps at 256 KiB.
            SQSBatcher(
                maximumEntries: SQSClient.maximumBatchEntries, maximumBytes: settings().maxMessageBytes,
                bytes: { $0.countedBytes }
            ) { messages in
                await Self.outcomes(count: messages.count) { () throws(AWSError) in
                    try await client(queue).sendMessageBatch(queue: queue, messages: messages, logger: batcherLogger)
                }
            }
        }
        return await Self.submit(message, to: batcher) { () throws(AWSError) in
            try await client(queue).sendMessage(
                queue: queue, body: message.body, attributes: message.attributes, groupID: message.groupID,
                deduplicationID: message.deduplicationID, redacting: message.sensitive, logger: logger)
        }
    }

    /// Deletes the message with `receiptHandle` from `queue` in the next `DeleteMessageBatch` for
    /// that queue; nil when it was deleted. A retryable failure is tried once more on its own.
    func delete(receiptHandle: String, from queue: SQSQueueURL, logger: Logger) async -> AWSError? {
        let (client, batcherLogger) = (clientFactory, self.logger)
        let batcher = batchers.deleter(for: queue) {
            SQSBatcher(maximumEntries: SQSClient.maximumBatchEntries, maximumBytes: .max, bytes: { _ in 0 }) {
                handles in
                await Self.outcomes(count: handles.count) { () throws(AWSError) in
                    try await client(queue).deleteMessageBatch(
                        queue: queue, receiptHandles: handles, logger: batcherLogger)
                }
            }
        }
        return await Self.submit(receiptHandle, to: batcher) { () throws(AWSError) in
            try await client(queue).deleteMessage(queue: queue, receiptHandle: receiptHandle, logger: logger)
        }
    }

    /// `entry`'s outcome from its batch, or, for a retryable failure, from `alone` (the same call
    /// for this entry only, with the client's retries). A batch sent by another task that was
    /// cancelled fails with `Cancelled`; an entry whose own task goes on is then tried alone too.
    /// So is one whose batch call was refused as an action (an identity or an SQS-compatible
    /// endpoint that allows `SendMessage` but not `SendMessageBatch`); the next
    /// ``aloneAfterRefusal`` entries for that queue then go alone at once, without a batch call
    /// that would be refused again.
    private static func submit<Entry: Sendable>(
        _ entry: Entry, to batcher: SQSBatcher<Entry>, alone: () async throws(AWSError) -> Void
    ) async -> AWSError? {
        if batcher.takeAloneTurn() { return await outcome(of: alone) }
        guard let failure = await batcher.submit(entry) else { return nil }
        let refused = refusesBatching.contains(failure.code)
        if refused { batcher.noteRefusal(turns: aloneAfterRefusal) }
        guard failure.retryable || failure.code == .cancelled || refused, !Task.isCancelled else { return failure }
        return await outcome(of: alone)
    }

    /// Nil when `call` succeeded, else its error.
    private static func outcome(of call: () async throws(AWSError) -> Void) async -> AWSError? {
        do throws(AWSError) {
            try await call()
            return nil
        } catch {
            return error
        }
    }

    /// How many entries for a queue skip the batch call after it was refused as an action; then
    /// one batch tries again (the identity's policy may have been fixed meanwhile).
    static let aloneAfterRefusal = 100

    /// Codes with which an endpoint refuses a batch action it would allow singly.
    private static let refusesBatching: Set<AWSError.Code> = [
        .accessDenied, .accessDeniedException, .invalidAction, .unsupportedOperation,
    ]

    /// A batch call's outcomes; a call that failed as a whole fails each of its `count` entries.
    private static func outcomes(count: Int, _ call: () async throws(AWSError) -> [AWSError?]) async -> [AWSError?] {
        do throws(AWSError) {
            return try await call()
        } catch {
            return Array(repeating: error, count: count)
        }
    }

    /// Makes clients as ``client(for:longPoll:)`` does, without holding on to the intake (the batchers it
    /// keeps hold this).
    private var clientFactory: @Sendable (SQSQueueURL) -> SQSClient {
        let (settings, clients, identity) = (settings, clients, identity)
        return { queue in
            SQSIntake.client(for: queue, settings: settings(), clients: clients, identity: identity())
        }
    }
}
